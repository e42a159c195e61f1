// The result of a control-socket command: its JSON with --json, else the text for people.

import { EXIT } from './exit-codes.js';

/** A function that prints `value` (as JSON) or `text` and returns the exit code. */
export function printer(json: boolean | undefined) {
  return (value: unknown, text: string, code: number = EXIT.ok): number => {
    process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
    return code;
  };
}
