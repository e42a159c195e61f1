// Every capture under ../shared/fixtures/smart parses, and its verdict is one EXPECTED.md
// allows, with reasons that name the evidence; scans are recognized as scans.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseSmartctlJson } from '../../daemon/src/disks/smart/smart-parser.js';
import { assess } from '../../daemon/src/disks/smart/verdict.js';

const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/smart/', import.meta.url));

/** capture name (without .json) -> allowed verdicts, from EXPECTED.md's table. */
function expected(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of readFileSync(`${FIXTURES}EXPECTED.md`, 'utf8').split('\n')) {
    const m = /^\|\s*([^|]+?)\s*\|\s*([a-z, ]+?)\s*\|/.exec(line);
    if (!m || m[1] === 'capture') continue;
    out.set(m[1] as string, (m[2] as string).split(',').map((s) => s.trim()));
  }
  return out;
}

function allowedFor(name: string, table: Map<string, string[]>): string[] | undefined {
  if (table.has(name)) return table.get(name);
  // "qemu/smart-nvme*, smart-sda, smart-sdb" style rows
  for (const [pattern, verdicts] of table) {
    const alts = pattern.split(/,\s*/);
    const dir = pattern.includes('/') ? pattern.slice(0, pattern.indexOf('/') + 1) : '';
    for (const alt of alts) {
      const full = alt.includes('/') ? alt : dir + alt;
      const re = new RegExp(`^${full.replace(/\*/g, '[a-z0-9]*')}$`);
      if (re.test(name)) return verdicts;
    }
  }
  return undefined;
}

/** The evidence a reason must name, for the captures where it matters most. */
const EVIDENCE: Record<string, RegExp[]> = {
  'ata-hdd-hgst-hus726060ala640-pending-sectors': [/1040 reallocated/, /878 sectors pending/, /1272 offline uncorrectable/],
  'ata-hdd-seagate-st3500418as-realloc304': [/304 reallocated/],
  'ata-hdd-megaraid1-wd4000fyyx-realloc387': [/387 reallocated/],
  'ata-hdd-wd-re4-crc-errors': [/3118119 interface CRC errors.*cable/],
  'sata-ssd-samsung-840-crc108-xall': [/108 interface CRC errors/],
  'usb-jmicron-wd3200bevt-failing': [/overall.*FAILED/, /attribute 5 .*threshold now/],
  'nvme-samsung-970evo-media-errors': [/7 NVMe media errors/],
  'nvme-samsung-mzwll3t2-critical-warning': [/critical warning bit 4: volatile memory backup/],
  'sas-seagate-st373453lc-grown-defects': [/260 grown defects/, /1 uncorrected read error/],
  'sas-seagate-st4000nm0043-defects56-trimmed': [/56 grown defects/],
  'error-nvme-permission-denied': [/no SMART data: .*Permission denied/],
  'error-intel-raid-volume-exit4': [/no SMART data: .*RAID volume/],
  'qemu/smart-nvme0-failing': [/critical warning bit 2: .*reliability/],
  'qemu/smart-sdc': [/no SMART data/],
};

test('every capture parses to a verdict EXPECTED.md allows, with reasons naming the evidence', () => {
  const table = expected();
  const files = [
    ...readdirSync(FIXTURES).filter((f) => f.endsWith('.json')),
    ...readdirSync(`${FIXTURES}qemu`).filter((f) => f.endsWith('.json')).map((f) => `qemu/${f}`),
  ];
  assert.ok(files.length >= 45, `found ${files.length} captures`);
  let devices = 0;
  let scans = 0;
  for (const file of files) {
    const name = file.replace(/\.json$/, '');
    const parsed = parseSmartctlJson(readFileSync(FIXTURES + file, 'utf8'));
    if (name.startsWith('scan-') || name === 'qemu/smartctl-scan-open') {
      assert.equal(parsed.kind, 'scan', `${name} is a scan`);
      if (parsed.kind === 'scan') assert.ok(parsed.scan.devices.length > 0 && parsed.scan.devices.every((d) => d.type !== ''), name);
      scans++;
      continue;
    }
    assert.equal(parsed.kind, 'device', name);
    if (parsed.kind !== 'device') continue;
    devices++;
    const { verdict, reasons } = assess(parsed.record);
    const allowed = allowedFor(name, table);
    assert.ok(allowed, `${name} is in EXPECTED.md`);
    const text = reasons.map((r) => r.message).join(' | ');
    assert.ok(allowed.includes(verdict), `${name}: verdict ${verdict}, expected ${allowed.join(' or ')}; reasons: ${text}`);
    assert.ok(reasons.length > 0, `${name} has reasons`);
    for (const re of EVIDENCE[name] ?? []) assert.match(text, re, `${name} names its evidence`);
  }
  assert.equal(scans, 2);
  assert.equal(devices, files.length - 2);
});
