// `havend smart parse FILE [--json]`: reads a saved `smartctl --json` capture (support staff
// get them from customers) and prints the normalized record with its verdict and reasons.
// Offline: no daemon, no state directory.

import { readFileSync } from 'node:fs';
import type { SmartReport } from '../../../core/src/api/smart.js';
import { parseSmartctlJson } from '../disks/smart/smart-parser.js';
import { assess } from '../disks/smart/verdict.js';
import { UsageError, parse, required } from '../../../core/src/cli/args.js';

function text(report: SmartReport): string {
  const r = report.record;
  const lines: string[] = [];
  if (r) {
    lines.push(`device   ${[r.model, r.serial ? `serial ${r.serial}` : null, r.wwn ? `wwn ${r.wwn}` : null].filter(Boolean).join(', ') || 'unknown'}`);
    lines.push(`class    ${r.deviceClass}${r.deviceType ? ` (smartctl -d ${r.deviceType})` : ''}, smartctl ${r.smartctlVersion ?? '?'}, exit status ${r.exitStatus ?? '?'}`);
    for (const b of r.exitBits) lines.push(`         exit bit: ${b}`);
    if (r.temperatureC !== null) lines.push(`temp     ${r.temperatureC} °C${r.temperatureMinC !== null ? ` (min ${r.temperatureMinC}, max ${r.temperatureMaxC})` : ''}`);
    if (r.powerOnHours !== null) lines.push(`hours    ${r.powerOnHours}`);
  }
  lines.push(`verdict  ${report.verdict.toUpperCase()}`);
  for (const reason of report.reasons) lines.push(`  - [${reason.severity}] ${reason.message}`);
  if (r?.selfTests?.length) {
    const t = r.selfTests[0];
    if (t) lines.push(`last self-test: ${t.type}: ${t.description}${t.powerOnHours !== null ? ` at ${t.powerOnHours} h` : ''}`);
  } else if (r?.selfTestNote) lines.push(`self-tests: ${r.selfTestNote}`);
  return lines.join('\n') + '\n';
}

export async function smartCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'parse') throw new UsageError('usage: havend smart parse FILE [--json]');
  const { values, positionals } = parse(rest, { json: { type: 'boolean' } }, true);
  const file = required(positionals[0], 'FILE');
  const parsed = parseSmartctlJson(readFileSync(file, 'utf8'));
  if (parsed.kind === 'scan') {
    if (values.json) process.stdout.write(JSON.stringify({ scan: parsed.scan }, null, 2) + '\n');
    else {
      process.stdout.write(`this is a device scan (smartctl --scan), not a device capture: ${parsed.scan.devices.length} device(s)\n`);
      for (const d of parsed.scan.devices) process.stdout.write(`  ${d.name}  -d ${d.type}${d.protocol ? `  (${d.protocol})` : ''}\n`);
    }
    return 0;
  }
  const { verdict, reasons } = assess(parsed.record);
  const report: SmartReport = { diskId: null, verdict, reasons, checkedAt: null, asleep: false, record: parsed.record };
  process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : text(report));
  return 0;
}
