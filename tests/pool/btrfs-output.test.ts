// The btrfs-progs 6.2 parsers against real captures (tests/pool/fixtures/btrfs/capture.sh made
// them from a raid1 pool on loop devices: healthy, corrupted and scrubbed, degraded, replaced).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  parseBytes, parseErrorStats, parseFilesystemShow, parseFilesystemUsage, parseReplaceStatus, parseScrubStatus,
} from '../../daemon/src/pool/btrfs-output.js';
import { confirmTarget, matchesCode } from '../../daemon/src/pool/confirm-code.js';
import { mountedDegraded, parseMountinfo } from '../../daemon/src/pool/kernel-state.js';
import { REPO } from '../helpers/daemon.js';

const capture = (name: string): string => readFileSync(join(REPO, 'tests/pool/fixtures/btrfs', `${name}.txt`), 'utf8');

test('filesystem show: members, sizes, a missing member in both spellings', () => {
  const healthy = parseFilesystemShow(capture('show-raw-healthy'));
  assert.equal(healthy.label, 'capture');
  assert.match(healthy.uuid ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(healthy.totalDevices, 3);
  assert.deepEqual(healthy.devices.map((d) => [d.devid, d.sizeBytes, d.path, d.missing]), [
    [1, 536870912, '/dev/loop0', false], [2, 536870912, '/dev/loop1', false], [3, 536870912, '/dev/loop2', false],
  ]);
  assert.equal(healthy.someMissing, false);

  const degraded = parseFilesystemShow(capture('show-raw-missing'));
  assert.equal(degraded.someMissing, true);
  assert.deepEqual(degraded.devices.find((d) => d.devid === 2), { devid: 2, sizeBytes: 0, usedBytes: 0, path: null, missing: true });
  // btrfs 6.2 prints an empty path before MISSING on some paths and `<missing disk>` on others
  assert.equal(parseFilesystemShow('Label: none  uuid: 644ec0f2-c565-4004-b07d-a7c4c76f6783\n\tdevid    2 size 0 used 0 path  MISSING\n').devices[0]?.missing, true);

  const unmounted = parseFilesystemShow(capture('show-unmounted-missing'));
  assert.equal(unmounted.someMissing, true);
  assert.equal(unmounted.totalDevices, 3);
  assert.deepEqual(unmounted.devices.map((d) => d.devid), [1, 3]);
  assert.equal(unmounted.devices[0]?.sizeBytes, 512 * 1024 * 1024);
});

test('filesystem usage -b: totals, ratios, profiles, missing bytes', () => {
  const u = parseFilesystemUsage(capture('usage-b-healthy'));
  assert.equal(u.deviceSize, 1610612736);
  assert.equal(u.dataRatio, 2);
  assert.ok((u.used ?? 0) > 60e6);
  assert.ok((u.freeEstimated ?? 0) > 0);
  assert.equal(u.multipleProfiles, false);
  assert.deepEqual(u.profiles.map((p) => `${p.type},${p.profile}`), ['Data,RAID1', 'Metadata,RAID1', 'System,RAID1']);
  const d = parseFilesystemUsage(capture('usage-b-degraded'));
  assert.equal(d.deviceMissing, 536870912);
});

test('scrub status: never, starting, running, aborted, finished with corrections', () => {
  assert.equal(parseScrubStatus(capture('scrub-R-never')).status, 'never');
  const starting = parseScrubStatus(capture('scrub-plain-starting'));
  assert.equal(starting.status, 'running', 'before the first stats only a running scrub shows a time left');
  assert.equal(starting.bytesScrubbed, 0);
  const running = parseScrubStatus(capture('scrub-plain-running'));
  assert.equal(running.status, 'running');
  assert.ok((running.bytesScrubbed ?? 0) > 0 && (running.totalBytes ?? 0) > (running.bytesScrubbed ?? 0));
  assert.ok(parseScrubStatus(capture('scrub-R-running')).counters.dataBytesScrubbed > 0);
  const aborted = parseScrubStatus(capture('scrub-R-aborted'));
  assert.equal(aborted.status, 'aborted');
  assert.match(aborted.started ?? '', /^\d{4}-\d\d-\d\dT/);
  const fixed = parseScrubStatus(capture('scrub-R-corrected'));
  assert.equal(fixed.status, 'finished');
  assert.ok(fixed.counters.csumErrors > 0);
  assert.equal(fixed.counters.correctedErrors, fixed.counters.csumErrors);
  assert.equal(fixed.counters.uncorrectableErrors, 0);
  assert.equal(fixed.durationSeconds, 0);
  assert.equal(parseScrubStatus(capture('scrub-plain-finished')).totalBytes, 126271488);
});

test('replace status: never, running, canceled, finished', () => {
  assert.equal(parseReplaceStatus(capture('replace-never')).state, 'never');
  const running = parseReplaceStatus(capture('replace-running'));
  assert.equal(running.state, 'running');
  assert.ok(Math.abs((running.fraction ?? 0) - 0.167) < 1e-9);
  assert.equal(running.writeErrors, 0);
  assert.equal(parseReplaceStatus(capture('replace-canceled')).state, 'canceled');
  const finished = parseReplaceStatus(capture('replace-finished'));
  assert.equal(finished.state, 'finished');
  assert.equal(finished.fraction, 1);
  assert.equal(parseReplaceStatus('Started on 21.Nov 23:55:53, suspended on 21.Nov 23:55:59 at 42.0%, 0 write errs, 0 uncorr. read errs').state, 'suspended');
});

test('error stats, byte units, mountinfo, confirmation codes', () => {
  const all = [1, 2, 3].map((n) => parseErrorStats(capture(`error-stats-devid-${n}`)));
  assert.equal(all.filter((e) => e.corruption > 0).length, 1, 'exactly the corrupted mirror counted');
  assert.deepEqual(parseErrorStats('write_errs 1\nread_errs 2\nflush_errs 3\ncorruption_errs 4\ngeneration_errs 5\n'), { write: 1, read: 2, flush: 3, corruption: 4, generation: 5 });
  assert.equal(parseBytes('161.50MiB'), 169345024);
  assert.equal(parseBytes('0.00B'), 0);
  assert.equal(parseBytes('lots'), null);
  assert.match(capture('remove-below-min'), /unable to go below two devices on raid1/);

  const mounts = parseMountinfo('44 27 0:40 / /var/tmp/x\\040y rw,relatime - btrfs /dev/loop0 rw,degraded,space_cache=v2\n29 1 254:0 / / rw - ext4 /dev/vda rw\n');
  assert.deepEqual(mounts[0], { majMin: '0:40', mountPoint: '/var/tmp/x y', options: 'rw,relatime', fsType: 'btrfs', source: '/dev/loop0', superOptions: 'rw,degraded,space_cache=v2' });
  assert.equal(mountedDegraded(mounts[0] as NonNullable<(typeof mounts)[0]>), true);
  assert.equal(mounts[1]?.majMin, '254:0');

  const disk = { id: '0123456789abcdef', serial: 'WD-WX12 34AB9K7F' };
  assert.deepEqual(confirmTarget(disk), { what: 'serial', value: 'WD-WX1234AB9K7F' });
  assert.ok(matchesCode(disk, '9k7f'));
  assert.ok(!matchesCode(disk, '9K7E'));
  const loop = { id: '0123456789abcdef', serial: null };
  assert.equal(confirmTarget(loop).what, 'disk id');
  assert.ok(matchesCode(loop, 'CDEF'));
});
