// TLS certificate fingerprints as Haven shows and pins them: SHA-256 of the certificate's DER,
// as lowercase colon-separated hex (the form Proxmox Backup Server uses). Pure code, shared by
// the daemon (`havend info`, the API), the client (pinning) and the UI.

const FINGERPRINT_BYTES = 32;

/** Formats a 32-byte SHA-256 digest as `ab:cd:...` (95 characters). */
export function formatFingerprint(digest: Uint8Array): string {
  if (digest.length !== FINGERPRINT_BYTES) throw new RangeError(`a fingerprint is ${FINGERPRINT_BYTES} bytes, not ${digest.length}`);
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/**
 * The canonical form of a fingerprint typed or pasted by a person: colons optional, any case,
 * surrounding blanks ignored (and a `sha256:`/`SHA256 Fingerprint=` prefix as openssl prints it).
 * Returns null when it is not 32 bytes of hex.
 */
export function normalizeFingerprint(text: string): string | null {
  const bare = text.trim().replace(/^(sha-?256(\s+fingerprint)?\s*[:=]\s*)/i, '').replace(/[:\s]/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(bare)) return null;
  return bare.match(/../g)?.join(':') ?? null;
}

/** True when both name the same certificate, whatever their spelling. */
export function sameFingerprint(a: string, b: string): boolean {
  const x = normalizeFingerprint(a);
  return x !== null && x === normalizeFingerprint(b);
}
