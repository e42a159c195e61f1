// A Prometheus histogram (cumulative buckets, sum, count) kept in memory and reported by a
// collector like the rest of the registry's figures: latencies a counter cannot show, such
// as how long a `has` batch waits for its answer while jobs and other clients share the loop.

import type { MetricFamily, Sample } from './registry.js';

export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  /** `bounds`: the buckets' upper bounds, ascending (+Inf is implied). */
  constructor(private readonly bounds: readonly number[]) {
    for (let i = 1; i < bounds.length; i++) {
      if (!((bounds[i] as number) > (bounds[i - 1] as number))) throw new Error('histogram bounds must ascend');
    }
    this.counts = new Array<number>(bounds.length).fill(0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    const i = this.bounds.findIndex((b) => value <= b);
    if (i >= 0) this.counts[i] = (this.counts[i] as number) + 1;
  }

  family(name: string, help: string): MetricFamily {
    const samples: Sample[] = [];
    let cumulative = 0;
    this.bounds.forEach((le, i) => {
      cumulative += this.counts[i] as number;
      samples.push({ suffix: '_bucket', labels: { le: String(le) }, value: cumulative });
    });
    samples.push({ suffix: '_bucket', labels: { le: '+Inf' }, value: this.count });
    samples.push({ suffix: '_sum', value: this.sum }, { suffix: '_count', value: this.count });
    return { name, help, type: 'histogram', samples };
  }
}
