// How the CLI talks: JSON documents on stdout with --json (for scripts), plain lines
// otherwise, and a progress line on stderr only when stderr is a terminal. Every plain line
// goes through printable(): it is where names from files and snapshots meet the terminal.

import { printable } from './printable.js';

export interface Output {
  readonly json: boolean;
  /** A command's result: the JSON document, or the lines a person reads. */
  result(doc: unknown, human: () => string[]): void;
  warn(line: string): void;
  /** Starts a progress line refreshed from `line()`; returns its stopper. */
  progress(line: () => string): () => void;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

/** JSON.stringify that writes bigints (nanosecond times) as numbers' decimal strings. */
export function toJson(doc: unknown): string {
  return JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}

export function createOutput(json: boolean, stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr): Output {
  return {
    json,
    result(doc, human) {
      if (json) stdout.write(`${toJson(doc)}\n`);
      else for (const line of human()) stdout.write(`${printable(line)}\n`);
    },
    warn(line) {
      stderr.write(`warning: ${printable(line)}\n`);
    },
    progress(line) {
      if (json || !stderr.isTTY) return () => undefined;
      const draw = (): void => {
        stderr.write(`\r\x1b[K${printable(line())}`);
      };
      const timer = setInterval(draw, 200);
      timer.unref();
      return () => {
        clearInterval(timer);
        stderr.write('\r\x1b[K');
      };
    },
  };
}
