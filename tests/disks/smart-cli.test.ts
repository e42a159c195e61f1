// `havend smart parse FILE [--json]`: offline, on captures as customers send them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { SmartReport } from '../../core/src/api/smart.js';
import { havend } from '../helpers/daemon.js';

const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/smart/', import.meta.url));

test('havend smart parse prints the verdict and its evidence, as text or JSON', () => {
  const text = havend(['smart', 'parse', `${FIXTURES}ata-hdd-hgst-hus726060ala640-pending-sectors.json`]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /verdict {2}FAILING/);
  assert.match(text.stdout, /878 sectors pending reallocation/);
  assert.match(text.stdout, /device {3}HGST HUS726060ALA640, serial AR01234567890C/);

  const json = havend(['smart', 'parse', `${FIXTURES}ata-hdd-seagate-st1000nm0008-unsafe-int.json`, '--json']);
  assert.equal(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout) as SmartReport;
  assert.equal(report.verdict, 'passed');
  assert.equal(report.record?.attributes.find((a) => a.id === 9)?.rawValue, '9023116403587028');
  assert.equal(report.record?.powerOnHours, 47060);

  const scan = havend(['smart', 'parse', `${FIXTURES}qemu/smartctl-scan-open.json`]);
  assert.equal(scan.code, 0);
  assert.match(scan.stdout, /this is a device scan .*5 device\(s\)/);
  assert.match(scan.stdout, /\/dev\/nvme0 {2}-d nvme/);

  const error = havend(['smart', 'parse', `${FIXTURES}error-nvme-permission-denied.json`]);
  assert.match(error.stdout, /verdict {2}UNKNOWN\n {2}- \[unknown\] no SMART data: Smartctl open device: \/dev\/nvme0 failed: Permission denied/);

  const notCapture = havend(['smart', 'parse', `${FIXTURES}EXPECTED.md`]);
  assert.equal(notCapture.code, 1);
  assert.match(notCapture.stderr, /Not a smartctl JSON capture.*\[SMART_CAPTURE_INVALID\]/);
});
