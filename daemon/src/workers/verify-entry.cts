// The file piscina loads in each verification thread. Piscina loads it with require(), and
// Node 20's require() of an ES module once killed a worker here ("FATAL ERROR:
// v8::Module::IsGraphAsync must be used on an instantiated module", seen in a full test
// run). This CommonJS entry loads the real worker (verify-worker.ts) with import() instead,
// once per thread, and hands every task to it.

import type { VerifyResult, VerifyTask } from './verify-task.js';

let handler: Promise<(task: VerifyTask) => VerifyResult> | undefined;

function verifyEntry(task: VerifyTask): Promise<VerifyResult> {
  handler ??= import('./verify-worker.js').then((m: { default: (task: VerifyTask) => VerifyResult }) => m.default);
  return handler.then((verify) => verify(task));
}

export = verifyEntry;
