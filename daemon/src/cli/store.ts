// `havend store check|rebuild-index --data DIR`: offline maintenance of the datastore.
// `havend store repair --from-peer NAME` runs in the daemon (store-repair.ts).

import { loadConfig } from '../config/load.js';
import { refuseIfRunning } from '../pidfile.js';
import { datastorePathOffline } from '../pool/pool-area.js';
import { checkStore } from '../store/store-check.js';
import { rebuildIndex } from '../store/rebuild-index.js';
import { createVerifyPool } from '../workers/verify-pool.js';
import { s3BackendOptions } from '../store/s3/s3-config.js';
import { UsageError, parse } from '../../../core/src/cli/args.js';
import { EXIT } from './exit-codes.js';

export async function storeCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'repair') return (await import('./store-repair.js')).storeRepairCommand(rest);
  const { values } = parse(rest, { data: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } });
  const loaded = loadConfig({
    ...(values.config !== undefined ? { file: values.config } : {}),
    flags: values.data !== undefined ? { dataDir: values.data } : {},
  });
  const out = (text: string, json: unknown): void => {
    process.stdout.write(values.json ? JSON.stringify(json, null, 2) + '\n' : text);
  };
  const pool = createVerifyPool({ threads: loaded.config.workers.verifyThreads });
  // On S3 the segments are checked or rebuilt from local copies: those not cached are fetched first.
  const s3 = s3BackendOptions(loaded.config.datastore);
  // The bucket's modules (and the AWS SDK) load only for an S3 datastore.
  const s3Modules = s3 && (sub === 'check' || sub === 'rebuild-index')
    ? { ...await import('../store/s3/s3-bucket.js'), ...await import('../store/s3/s3-rebuild.js') } : null;
  const bucket = s3 && s3Modules ? new s3Modules.S3Bucket(s3) : null;
  try {
    if (bucket && s3Modules) await s3Modules.fetchDatastoreFromBucket(await datastorePathOffline(loaded), bucket);
    switch (sub) {
      case 'check': {
        const r = await checkStore(await datastorePathOffline(loaded), pool);
        out(
          `datastore ${r.datastore}: ${r.segments} segment(s), ${r.records} record(s), ${r.indexedObjects} indexed object(s), ` +
            `${r.snapshots} snapshot(s) reaching ${r.reachableObjects} object(s), ${r.unindexedRecords} unindexed record(s)` +
            `${r.replacedRecords > 0 ? `, ${r.replacedRecords} damaged record(s) replaced (compaction drops them)` : ''}\n` +
            (r.ok ? 'check: OK\n' : `check: ${r.problems.length} problem(s)\n${r.problems.map((p) => `  - ${p}\n`).join('')}`),
          r,
        );
        return r.ok ? EXIT.ok : EXIT.failure;
      }
      case 'rebuild-index': {
        refuseIfRunning(loaded.config.dataDir);
        const r = await rebuildIndex(await datastorePathOffline(loaded), pool);
        if (bucket && s3Modules) await s3Modules.markBucketSegmentsUploaded(await datastorePathOffline(loaded), bucket, s3Modules.PART_BYTES);
        out(
          `rebuilt index: ${r.objects} object(s) from ${r.records} record(s), ${r.snapshots} snapshot(s), ${r.tombstones} deletion(s), ${r.protections} protection record(s)` +
            (r.invalidRecords ? `, ${r.invalidRecords} invalid record(s) skipped` : '') +
            (r.tailBytes ? `, ${r.tailBytes} byte(s) of torn tail left for recovery` : '') + '\n' +
            r.notes.map((n) => `  - ${n}\n`).join(''),
          r,
        );
        return 0;
      }
      default:
        throw new UsageError('usage: havend store check|rebuild-index --data DIR [--json] | repair --from-peer NAME [--data DIR] [--config FILE] [--json]');
    }
  } finally {
    bucket?.close();
    await pool.close();
  }
}
