// The one-time setup code (DESIGN section 8): while no admin account exists, havend holds a
// random code, prints it, and keeps it in <state dir>/setup-code (mode 0600) so that the
// appliance installer can show it too. Whoever presents it may create the first admin.
// The file outlives restarts until it is used, so a code already printed stays valid.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Crockford's base32 without I, L, O, U: nothing to misread when typed from a console.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const GROUPS = 4;
const GROUP_LENGTH = 4; // 16 symbols of 5 bits: 80 bits, far beyond guessing under the login rate limit
const CODE_RE = new RegExp(`^[${ALPHABET}]{${GROUP_LENGTH}}(-[${ALPHABET}]{${GROUP_LENGTH}}){${GROUPS - 1}}$`);

export function setupCodePath(dataDir: string): string {
  return join(dataDir, 'setup-code');
}

function generate(): string {
  const bytes = randomBytes(GROUPS * GROUP_LENGTH);
  const symbols = [...bytes].map((b) => ALPHABET[b & 31] as string);
  const groups: string[] = [];
  for (let i = 0; i < GROUPS; i++) groups.push(symbols.slice(i * GROUP_LENGTH, (i + 1) * GROUP_LENGTH).join(''));
  return groups.join('-');
}

/** What a person typed, in canonical form: case, spaces and dashes do not matter. */
function canonical(input: string): string {
  return input.toUpperCase().replace(/[^0-9A-Z]/g, '');
}

export class SetupCode {
  private code: string | null = null;

  constructor(private readonly dataDir: string) {}

  /** Called at start: opens the setup (reusing a saved code) when no admin exists, else removes a stale file. */
  open(adminExists: boolean): string | null {
    const path = setupCodePath(this.dataDir);
    if (adminExists) {
      rmSync(path, { force: true });
      this.code = null;
      return null;
    }
    const saved = existsSync(path) ? readFileSync(path, 'utf8').trim() : '';
    this.code = CODE_RE.test(saved) ? saved : generate();
    if (this.code !== saved) writeFileSync(path, `${this.code}\n`, { mode: 0o600 });
    return this.code;
  }

  get current(): string | null {
    return this.code;
  }

  matches(input: string): boolean {
    if (this.code === null) return false;
    const a = Buffer.from(canonical(input));
    const b = Buffer.from(canonical(this.code));
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** The code is spent: forget it and remove its file. */
  consume(): void {
    this.code = null;
    rmSync(setupCodePath(this.dataDir), { force: true });
  }
}
