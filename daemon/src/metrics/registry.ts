// A small metrics registry: each area registers a collector that reports its metric families
// when Prometheus scrapes GET /metrics. Pull, not push: nothing is counted twice, and an area
// exposes whatever state it already keeps (disk verdicts, pool state, job results) without
// a metrics library threaded through its code.
//
//   metrics.register('disks', () => [gauge('haven_disk_verdict', 'Disk health verdict (1 = the labelled verdict applies)',
//     disks.map((d) => ({ labels: { disk: d.id, verdict: d.verdict }, value: 1 })))]);
//
// A collector that throws is reported as haven_metrics_collector_up{area} 0 and skipped; the
// rest of the scrape still succeeds.

import type { Logger } from 'pino';
import { checkFamily, renderFamilies } from './exposition.js';

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface Sample {
  /** After the family's name: a histogram's `_bucket`, `_sum` and `_count` samples. */
  suffix?: '_bucket' | '_sum' | '_count';
  labels?: Readonly<Record<string, string>>;
  value: number;
}

export interface MetricFamily {
  /** `haven_<area>_<what>[_<unit>][_total]`, per Prometheus naming conventions. */
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

export type Collector = () => MetricFamily[] | Promise<MetricFamily[]>;

export function gauge(name: string, help: string, samples: Sample[] | number): MetricFamily {
  return { name, help, type: 'gauge', samples: typeof samples === 'number' ? [{ value: samples }] : samples };
}

export function counter(name: string, help: string, samples: Sample[] | number): MetricFamily {
  return { name, help, type: 'counter', samples: typeof samples === 'number' ? [{ value: samples }] : samples };
}

export class MetricsRegistry {
  private readonly collectors = new Map<string, Collector>();

  constructor(private readonly log: Pick<Logger, 'warn'>) {}

  /** Adds an area's collector; returns the function that removes it (for the area's stop). */
  register(area: string, collect: Collector): () => void {
    if (this.collectors.has(area)) throw new Error(`metrics area ${area} is already registered`);
    this.collectors.set(area, collect);
    return () => {
      if (this.collectors.get(area) === collect) this.collectors.delete(area);
    };
  }

  /** Every registered area's families, in Prometheus text exposition format 0.0.4. */
  async render(): Promise<string> {
    const families: MetricFamily[] = [];
    const up: Sample[] = [];
    const seen = new Set<string>();
    for (const [area, collect] of this.collectors) {
      try {
        const got = await collect();
        for (const f of got) {
          checkFamily(f);
          if (seen.has(f.name)) throw new Error(`metric ${f.name} is reported twice`);
          seen.add(f.name);
        }
        families.push(...got);
        up.push({ labels: { area }, value: 1 });
      } catch (err) {
        this.log.warn({ err, area }, 'metrics collector failed');
        up.push({ labels: { area }, value: 0 });
      }
    }
    families.push(gauge('haven_metrics_collector_up', 'Whether each area\'s metrics collector succeeded in this scrape', up));
    return renderFamilies(families);
  }
}
