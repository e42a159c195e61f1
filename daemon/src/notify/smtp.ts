// E-mail delivery over SMTP through nodemailer: one connection per message (notifications
// are rare; a pooled connection would only go stale between them). STARTTLS is used when
// the server offers it, with the certificate verified.

import type { Notification, TargetChannel } from '../../../core/src/api/notify.js';
import { readSecret } from './target-store.js';

type SmtpChannel = Extract<TargetChannel, { kind: 'smtp' }>;

export function mailSubject(n: Notification): string {
  const what = n.status === 'resolved' ? 'Resolved' : n.status === 'test' ? 'Test' : n.status === 'event' ? 'Report' : n.severity.toUpperCase();
  return `[Haven ${n.appliance}] ${what}: ${n.kind}${n.group ? ` ${n.group}` : ''}${n.state ? ` (${n.state})` : ''}`;
}

export function mailText(n: Notification): string {
  return [
    n.status === 'resolved' ? `Resolved: ${n.subject}` : n.subject,
    '',
    n.message,
    '',
    `kind: ${n.kind}`,
    `status: ${n.status}`,
    `severity: ${n.severity}`,
    ...(n.group ? [`group: ${n.group}`] : []),
    ...(n.state ? [`state: ${n.state}`] : []),
    `at: ${n.at}`,
    `appliance: ${n.appliance}`,
    `message id: ${n.id}`,
  ].join('\n');
}

export async function sendMail(target: SmtpChannel, n: Notification, timeoutMs: number): Promise<void> {
  // Loaded at the first mail, not at every start (~0.2 s of CPU for a library most appliances rarely use).
  const { default: nodemailer } = await import('nodemailer');
  const transport = nodemailer.createTransport({
    host: target.host,
    port: target.port,
    secure: target.secure ?? false,
    ...(target.user !== undefined ? { auth: { user: target.user, pass: target.passwordFile !== undefined ? readSecret(target.passwordFile) : '' } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  try {
    await transport.sendMail({
      from: target.from, to: target.to, subject: mailSubject(n), text: mailText(n),
      headers: { 'X-Haven-Event': n.kind, 'X-Haven-Delivery': n.id },
    });
  } finally {
    transport.close();
  }
}
