// The parser's hard cases: integers above 2^53, vendor raw encodings, exit-status bits,
// captures that are not device captures.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HavenError } from '../../core/src/errors.js';
import { parseExactJson } from '../../daemon/src/disks/smart/exact-json.js';
import { decodeExitStatus, parseSmartctlJson } from '../../daemon/src/disks/smart/smart-parser.js';
import { decodeCommandTimeout, decodeTemperature } from '../../daemon/src/disks/smart/vendor-raw.js';
import type { SmartRecord } from '../../core/src/api/smart.js';

const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/smart/', import.meta.url));

function device(name: string): SmartRecord {
  const p = parseSmartctlJson(readFileSync(`${FIXTURES}${name}.json`, 'utf8'));
  assert.equal(p.kind, 'device');
  return (p as { record: SmartRecord }).record;
}

test('integers above 2^53 keep every digit', () => {
  assert.deepEqual(parseExactJson('{"a": 9023116403587028}'), { a: 9023116403587028n });
  assert.deepEqual(parseExactJson('[9023116403587028, 1.5, -3, "x\\"y"]'), [9023116403587028n, 1.5, -3, 'x"y']);
  const r = device('ata-hdd-seagate-st1000nm0008-unsafe-int');
  const poh = r.attributes.find((a) => a.id === 9);
  assert.equal(poh?.rawValue, '9023116403587028'); // JSON.parse would give ...7028 -> ...7030
  assert.equal(poh?.interpreted, 47060);
  assert.equal(r.powerOnHours, 47060);
  const ocz = device('sata-ssd-ocz-vertex2-sandforce-xall').attributes.find((a) => a.id === 9);
  assert.equal(ocz?.rawValue, '9103526781257015');
});

test('vendor encodings: packed temperature, Seagate hours, split command-timeout counters', () => {
  assert.deepEqual(decodeTemperature('27 (Min/Max 8/37)'), { current: 27, min: 8, max: 37 });
  assert.equal(decodeTemperature('26 (0 23 0 0 0)').current, 26);
  assert.deepEqual(decodeTemperature(String((56n << 32n) | (20n << 16n) | 49n)), { current: 49, min: 20, max: 56 });
  assert.equal(decodeCommandTimeout('2 2 2'), 2);
  assert.equal(decodeCommandTimeout('51540393996'), 12);
  assert.equal(decodeCommandTimeout('29'), 29);
  const st2000 = device('ata-hdd-seagate-st2000nm0008-packed-raw');
  assert.equal(st2000.powerOnHours, 37054);
  assert.equal(st2000.counters['ata.188'], 2);
  assert.equal(device('ata-hdd-seagate-exos-x16-cmd-timeout').counters['ata.188'], 12);
  const wd = device('ata-hdd-wd-wd181kryz');
  assert.deepEqual([wd.temperatureC, wd.temperatureMinC, wd.temperatureMaxC], [49, 24, 56]);
});

test('identity, classes, exit bits and self-test logs', () => {
  const wd = device('ata-hdd-wd140edfz-healthy');
  assert.equal(wd.deviceClass, 'ata');
  assert.match(wd.wwn ?? '', /^0x5[0-9a-f]{15}$/);
  assert.equal(wd.serial, '9RK1XXXX');
  assert.ok((wd.selfTests ?? []).length > 0 && wd.selfTests?.every((t) => t.result === 'passed'));
  assert.deepEqual(decodeExitStatus(216).length, 4);
  const failing = device('usb-jmicron-wd3200bevt-failing');
  assert.ok(failing.exitBits.some((b) => /DISK FAILING/.test(b)));
  assert.equal(device('nvme-sabrent-rocket4-selftest-log').selfTests?.length, 0);
  assert.equal(device('nvme-toshiba-kxg6-xall').selfTests, null);
  assert.match(device('nvme-toshiba-kxg6-xall').selfTestNote ?? '', /7\.4/);
  assert.ok((device('sas-seagate-anon-farm').selfTests ?? []).length >= 4);
  assert.equal(device('sas-seagate-st4000nm0043-defects56-trimmed').model, 'SEAGATE ST4000NM0043');
  assert.equal(device('error-nvme-permission-denied').hasData, false);
});

test('what is not a device capture says so', () => {
  assert.equal(parseSmartctlJson(readFileSync(`${FIXTURES}scan-megaraid.json`, 'utf8')).kind, 'scan');
  const bad = (text: string): void => assert.throws(() => parseSmartctlJson(text), (e: unknown) => e instanceof HavenError && e.code === 'SMART_CAPTURE_INVALID');
  bad('not json');
  bad('[1,2]');
  bad('{"hello": "world"}');
});
