// smartctl 7.3 prints the NVMe self-test log (log page 0x06) only as text; JSON came in 7.4.
//
//   Self-test Log (NVMe Log 0x06)
//   Self-test status: Short self-test in progress (37% completed)
//   Num  Test_Description  Status                       Power_on_Hours  Failing_LBA  NSID Seg SCT Code
//    0   Short             Completed without error                 1234            -     -   -   -    -

import type { SelfTestEntry } from '../../../../core/src/api/smart.js';

export interface NvmeSelfTestLog {
  entries: SelfTestEntry[];
  /** "Short self-test in progress (37% completed)", or null when none runs. */
  inProgress: string | null;
}

const ROW = /^\s*(\d+)\s+(Short|Extended|Vendor specific|Device self-test operation|\S+)\s+(.+?)\s{2,}(\d+|-)\s+(\S+)(?:\s|$)/;

export function parseNvmeSelfTestText(text: string): NvmeSelfTestLog | null {
  if (!/Self-test Log \(NVMe Log 0x06/.test(text)) return null;
  const status = /Self-test status:\s*(.+)/.exec(text)?.[1]?.trim() ?? null;
  const entries: SelfTestEntry[] = [];
  let inTable = false;
  for (const line of text.split('\n')) {
    if (/^Num\s+Test_Description/.test(line)) {
      inTable = true;
      continue;
    }
    if (!inTable) continue;
    const m = ROW.exec(line);
    if (!m) continue;
    const description = (m[3] as string).trim();
    entries.push({
      type: m[2] as string,
      result: /without error/i.test(description) ? 'passed' : /abort/i.test(description) ? 'aborted' : /interrupt/i.test(description) ? 'interrupted' : /fail|error/i.test(description) ? 'failed' : 'unknown',
      description,
      powerOnHours: m[4] === '-' ? null : Number(m[4]),
      remainingPercent: null,
      failingLba: m[5] === '-' ? null : (m[5] as string),
    });
  }
  return { entries, inProgress: status && /in progress/i.test(status) && !/^no /i.test(status) ? status : null };
}
