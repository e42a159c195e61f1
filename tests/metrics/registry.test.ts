import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { Histogram } from '../../daemon/src/metrics/histogram.js';
import { MetricsRegistry, counter, gauge } from '../../daemon/src/metrics/registry.js';

const quiet = pino({ level: 'silent' });

test('renders the Prometheus text format with escaped help and label values', async () => {
  const r = new MetricsRegistry(quiet);
  r.register('a', () => [
    counter('haven_things_total', 'Things\\counted\nhere', [{ labels: { name: 'x"y\\z\nw' }, value: 3 }]),
    gauge('haven_ratio', 'A ratio', NaN),
    gauge('haven_big', 'Large', Infinity),
  ]);
  const text = await r.render();
  assert.ok(text.includes('# HELP haven_things_total Things\\\\counted\\nhere\n# TYPE haven_things_total counter\n'), text);
  assert.ok(text.includes('haven_things_total{name="x\\"y\\\\z\\nw"} 3\n'), text);
  assert.ok(text.includes('haven_ratio NaN\n') && text.includes('haven_big +Inf\n'), text);
  assert.ok(text.endsWith('haven_metrics_collector_up{area="a"} 1\n'), text);
});

test('a failing or misbehaving collector is reported and skipped; the others still render', async () => {
  const r = new MetricsRegistry(quiet);
  r.register('good', () => [gauge('haven_good', 'Fine', 1)]);
  r.register('throws', () => {
    throw new Error('disk inventory not ready');
  });
  r.register('dup', async () => [gauge('haven_good', 'Same name again', 2)]);
  r.register('badname', () => [gauge('haven bad', 'Space in the name', 2)]);
  const unregister = r.register('gone', () => [gauge('haven_gone', 'Removed before the scrape', 1)]);
  unregister();
  assert.throws(() => r.register('good', () => []), /already registered/);
  const text = await r.render();
  assert.match(text, /^haven_good 1$/m);
  assert.doesNotMatch(text, /haven_good 2|haven bad|haven_gone/);
  for (const [area, up] of [['good', 1], ['throws', 0], ['dup', 0], ['badname', 0]] as const) {
    assert.match(text, new RegExp(`^haven_metrics_collector_up\\{area="${area}"\\} ${up}$`, 'm'));
  }
});

test('a histogram renders cumulative buckets, +Inf, sum and count under one family', async () => {
  const h = new Histogram([0.25, 0.5, 1]);
  for (const v of [0.125, 0.25, 0.375, 0.75, 8]) h.observe(v);
  const r = new MetricsRegistry(quiet);
  r.register('h', () => [h.family('haven_wait_seconds', 'Waits')]);
  const text = await r.render();
  assert.ok(text.includes([
    '# TYPE haven_wait_seconds histogram',
    'haven_wait_seconds_bucket{le="0.25"} 2',
    'haven_wait_seconds_bucket{le="0.5"} 3',
    'haven_wait_seconds_bucket{le="1"} 4',
    'haven_wait_seconds_bucket{le="+Inf"} 5',
    'haven_wait_seconds_sum 9.5',
    'haven_wait_seconds_count 5',
  ].join('\n')), text);
  assert.throws(() => new Histogram([1, 1]), /ascend/);
});
