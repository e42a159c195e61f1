// Starts smtp-sink-main.js as a child process and collects the messages it reports; the
// process is ended with the test.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

export interface SmtpMessage {
  from: string | null;
  to: string[];
  /** The raw message (headers and body). */
  data: string;
}

export interface SmtpSink {
  port: number;
  messages: SmtpMessage[];
}

const MAIN = fileURLToPath(new URL('./smtp-sink-main.js', import.meta.url));

export async function startSmtpSink(t: TestContext): Promise<SmtpSink> {
  const proc = spawn(process.execPath, [MAIN], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await once(proc, 'exit');
    clearTimeout(timer);
  });
  const messages: SmtpMessage[] = [];
  let buffered = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the SMTP sink did not start within 10 s')), 10_000);
    proc.once('exit', (code) => reject(new Error(`the SMTP sink exited with ${code}`)));
    proc.stdout.on('data', (b: Buffer) => {
      buffered += b.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffered.slice(0, nl)) as { port?: number } & SmtpMessage;
        buffered = buffered.slice(nl + 1);
        if (line.port !== undefined) {
          clearTimeout(timer);
          resolve(line.port);
        } else messages.push(line);
      }
    });
  });
  return { port, messages };
}
