// The one line an admin runs on a client machine to enrol it (issue 15): `haven login` with
// the appliance's URL, a fresh `backup:<group>` token (shown once, stored hashed) and, when the
// appliance serves TLS, the certificate fingerprint the client pins. The login saves all three
// in the client's config; `haven backup --group <group> PATH...` then needs nothing else.

import type { Enrolment } from '../../../core/src/api/plan.js';
import type { TokenStore } from '../auth/tokens.js';

/** A shell word: bare when it is safe, else single-quoted. */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The URL a client should use: the first that is not loopback, else the first. */
export function clientUrl(urls: string[]): string | null {
  return urls.find((u) => !/\/\/(127\.|\[::1\]|localhost)/.test(u)) ?? urls[0] ?? null;
}

export interface EnrolmentDeps {
  tokens: Pick<TokenStore, 'create'>;
  urls: () => string[];
  fingerprint: () => string | null;
}

export async function enrol(deps: EnrolmentDeps, group: string): Promise<Enrolment> {
  const server = clientUrl(deps.urls());
  if (server === null) throw new Error('the appliance has no URL yet (the HTTP listener has not started)');
  const fingerprint = deps.fingerprint();
  const { token, info } = await deps.tokens.create(`enrolment of ${group}`, `backup:${group}`);
  const command = ['haven', 'login', server, '--token', token, ...(fingerprint ? ['--fingerprint', fingerprint] : [])].map(shellWord).join(' ');
  return { group, server, fingerprint, token, tokenId: info.id, command, backupCommand: `haven backup --group ${shellWord(group)} PATH...` };
}
