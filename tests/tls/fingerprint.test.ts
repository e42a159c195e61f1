import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFingerprint, normalizeFingerprint, sameFingerprint } from '../../core/src/tls/fingerprint.js';

const HEX = 'a48dc474872974288ae820f34b71affacb1a721e043b9f169a747389af6e7372';
const COLONS = HEX.match(/../g)?.join(':') as string;

test('fingerprints are lowercase colon-separated hex, and any common spelling normalizes to it', () => {
  assert.equal(formatFingerprint(Buffer.from(HEX, 'hex')), COLONS);
  assert.equal(normalizeFingerprint(HEX.toUpperCase()), COLONS);
  assert.equal(normalizeFingerprint(` ${COLONS.toUpperCase()}\n`), COLONS);
  // as `openssl x509 -fingerprint -sha256` prints it
  assert.equal(normalizeFingerprint(`sha256 Fingerprint=${COLONS.toUpperCase()}`), COLONS);
  assert.equal(normalizeFingerprint(HEX.slice(2)), null);
  assert.equal(normalizeFingerprint(`${HEX}00`), null);
  assert.equal(normalizeFingerprint(HEX.replace('a', 'g')), null);
  assert.ok(sameFingerprint(HEX, COLONS));
  assert.ok(!sameFingerprint(HEX, 'nonsense'));
  assert.throws(() => formatFingerprint(new Uint8Array(20)), RangeError);
});
