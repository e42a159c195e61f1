// Durations `Ns|Nm|Nh|Nd|Nw`: what parses to how many milliseconds, what is refused with
// VALIDATION_FAILED, and that formatting picks the largest exact unit and round-trips.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HavenError } from '../../core/src/errors.js';
import { formatDuration, parseDuration } from '../../core/src/time/duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

const valid: Array<[string, number]> = [
  ['1s', S],
  ['45s', 45 * S],
  ['90m', 90 * M],
  ['1h', H],
  ['36h', 36 * H],
  ['1d', D],
  ['7d', 7 * D],
  ['1w', 7 * D],
  ['52w', 364 * D],
  ['07d', 7 * D], // a leading zero is still a whole number
];

test('valid durations parse to milliseconds', () => {
  for (const [text, ms] of valid) assert.equal(parseDuration(text), ms, text);
});

const invalid: Array<[unknown, RegExp]> = [
  ['', /is not a duration/],
  ['7', /is not a duration/], // no unit
  ['d', /is not a duration/], // no number
  ['0d', /at least 1/],
  ['00s', /at least 1/],
  ['-1d', /is not a duration/],
  ['+1d', /is not a duration/],
  ['1.5h', /is not a duration/],
  ['1d12h', /is not a duration/], // one unit only
  ['1D', /is not a duration/], // units are lower case: M would be read as a month
  ['1M', /is not a duration/],
  ['1y', /is not a duration/], // no calendar units
  ['1ms', /is not a duration/],
  [' 7d', /is not a duration/],
  ['7d ', /is not a duration/],
  ['7 d', /is not a duration/],
  ['99999999999999999w', /too long/],
  [7, /must be a string/],
];

test('anything else is VALIDATION_FAILED naming the accepted form', () => {
  for (const [text, detail] of invalid) {
    assert.throws(
      () => parseDuration(text as string),
      (err: unknown) => err instanceof HavenError && err.code === 'VALIDATION_FAILED' && detail.test(err.message) && /s, m, h, d or w|at least 1|too long/.test(err.message),
      JSON.stringify(text),
    );
  }
});

test('formatting uses the largest unit that divides exactly and round-trips', () => {
  const cases: Array<[number, string]> = [
    [S, '1s'],
    [90 * S, '90s'],
    [90 * M, '90m'],
    [2 * H, '2h'],
    [36 * H, '36h'],
    [D, '1d'],
    [10 * D, '10d'],
    [14 * D, '2w'],
  ];
  for (const [ms, text] of cases) {
    assert.equal(formatDuration(ms), text, String(ms));
    assert.equal(parseDuration(text), ms, text);
  }
  for (const [text, ms] of valid) assert.equal(parseDuration(formatDuration(ms)), ms, text);
});

test('only whole seconds >= 1 can be formatted', () => {
  for (const ms of [0, -S, 1500, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => formatDuration(ms), (err: unknown) => err instanceof HavenError && err.code === 'VALIDATION_FAILED', String(ms));
  }
});
