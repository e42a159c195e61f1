// Notification targets (issue 15) in the state db (`notify-targets`, by name). Secrets are
// not stored: a webhook's HMAC key and an SMTP password stay in files the admin owns, read at
// each send; adding a target checks that they can be read now.

import { readFileSync } from 'node:fs';
import { HavenError } from '../../../core/src/errors.js';
import type { NotifyTarget, NotifyTargetInput, TargetChannel } from '../../../core/src/api/notify.js';
import { KeyedRecords } from '../state/keyed-records.js';
import type { StateDb } from '../state/state-db.js';
import { DEFAULT_MIN_SEVERITY } from './rules.js';

/** A secret file's content without its trailing newline, or NOTIFY_SECRET_UNREADABLE. */
export function readSecret(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new HavenError('NOTIFY_SECRET_UNREADABLE', { file, detail: (err as NodeJS.ErrnoException).code ?? String(err) });
  }
  if (text === '') throw new HavenError('NOTIFY_SECRET_UNREADABLE', { file, detail: 'the file is empty' });
  return text;
}

function checkChannel(channel: TargetChannel): void {
  if (channel.kind === 'webhook') {
    if (channel.secretFile !== undefined) readSecret(channel.secretFile);
    return;
  }
  if (channel.passwordFile !== undefined) {
    if (channel.user === undefined) throw new HavenError('VALIDATION_FAILED', { detail: 'an SMTP passwordFile needs a user' });
    readSecret(channel.passwordFile);
  }
}

export class TargetStore extends KeyedRecords<NotifyTarget> {
  constructor(state: StateDb, private readonly now: () => number = Date.now) {
    super(state, 'notify-targets', (name) => new HavenError('NOTIFY_TARGET_NOT_FOUND', { name }));
  }

  async set(name: string, input: NotifyTargetInput): Promise<NotifyTarget> {
    checkChannel(input.channel);
    const at = new Date(this.now()).toISOString();
    const target: NotifyTarget = {
      name, channel: input.channel, rule: { minSeverity: DEFAULT_MIN_SEVERITY, ...input.rule },
      created: this.get(name)?.created ?? at, updated: at,
    };
    await this.db.put(name, target);
    return target;
  }
}
