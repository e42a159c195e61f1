// A stand-in for systemd's notify socket: a unix datagram socket with SO_PASSCRED, so every
// datagram arrives with the sender's pid as the kernel saw it (what NotifyAccess=main checks).
// Node cannot receive unix datagrams, so a few lines of python3 hold the socket and report
// each message as a JSON line.

import { spawn, type ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';

const RECEIVER = `
import json, socket, struct, sys
addr = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind('\\0' + addr[1:] if addr.startswith('@') else addr)
print(json.dumps({'bound': True}), flush=True)
while True:
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = None
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack('iII', data[:12])[0]
    print(json.dumps({'pid': pid, 'message': msg.decode()}), flush=True)
`;

export interface Notification {
  pid: number | null;
  message: string;
}

export interface NotifySocket {
  address: string;
  received: Notification[];
  /** Resolves once a datagram matching `pred` has arrived (bounded by `ms`). */
  waitFor(pred: (n: Notification) => boolean, ms?: number): Promise<Notification>;
}

export async function notifySocket(t: TestContext, address: string): Promise<NotifySocket> {
  const proc: ChildProcess = spawn('python3', ['-c', RECEIVER, address], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    proc.kill('SIGKILL');
  });
  const received: Notification[] = [];
  const waiters: Array<() => void> = [];
  let buffered = '';
  let bound = false;
  let stderr = '';
  proc.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  proc.stdout?.on('data', (b: Buffer) => {
    buffered += b.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffered.slice(0, nl)) as { bound?: boolean; pid?: number | null; message?: string };
      buffered = buffered.slice(nl + 1);
      if (line.bound) bound = true;
      else received.push({ pid: line.pid ?? null, message: line.message ?? '' });
      for (const w of waiters.splice(0)) w();
    }
  });
  const waitFor = async (pred: (n: Notification) => boolean, ms = 10_000): Promise<Notification> => {
    const end = Date.now() + ms;
    for (;;) {
      const hit = received.find(pred);
      if (hit) return hit;
      if (proc.exitCode !== null) throw new Error(`notify receiver exited: ${stderr}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no matching notification within ${ms} ms; got ${JSON.stringify(received)}`);
      await Promise.race([new Promise<void>((r) => waiters.push(r)), new Promise((r) => setTimeout(r, Math.min(left, 200)))]);
    }
  };
  // Generous: python3's start has taken over 10 s on the 2-core machine under load. Woken by
  // the stdout handler above (a fresh once() per poll would pile listeners onto the stream).
  const start = Date.now();
  while (!bound) {
    if (proc.exitCode !== null || Date.now() - start > 30_000) throw new Error(`notify receiver did not bind: ${stderr}`);
    await Promise.race([new Promise<void>((r) => waiters.push(r)), new Promise((r) => setTimeout(r, 100))]);
  }
  return { address, received, waitFor };
}
