// Follow-mode lag of bench/replication: waits for the next snapshot of GROUP to commit on the
// source, then for the same id on the offsite, and prints how long after its commit the offsite
// listed it. Both appliances run on this machine, so the source's commit time (in the record)
// and the moment the offsite lists it are on one clock.
//
//   node dist/bench/replication/follow-lag.js SOURCE_URL SOURCE_TOKEN OFFSITE_URL OFFSITE_TOKEN GROUP [TIMEOUT_S]
//
// Start it before the backup; it prints one JSON line {id, committed, seen, lagSeconds}.

interface Listed {
  snapshots: { id: string; time: string }[];
}

const [sourceUrl, sourceToken, offsiteUrl, offsiteToken, group, timeoutArg] = process.argv.slice(2) as string[];
if (!sourceUrl || !sourceToken || !offsiteUrl || !offsiteToken || !group) {
  console.error('usage: follow-lag SOURCE_URL SOURCE_TOKEN OFFSITE_URL OFFSITE_TOKEN GROUP [TIMEOUT_S]');
  process.exit(2);
}
const deadline = Date.now() + Number(timeoutArg ?? 900) * 1000;
const POLL_MS = 20;

async function list(url: string, token: string): Promise<Listed['snapshots']> {
  const res = await fetch(`${url}/api/v1/groups/${encodeURIComponent(group as string)}/snapshots`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status === 404) return []; // the group does not exist there yet
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as Listed).snapshots;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

const before = new Set((await list(sourceUrl, sourceToken)).map((s) => s.id));
const fresh = await until('a new snapshot on the source', async () =>
  (await list(sourceUrl, sourceToken)).find((s) => !before.has(s.id)),
);
const seen = await until(`${fresh.id} on the offsite`, async () =>
  (await list(offsiteUrl, offsiteToken)).some((s) => s.id === fresh.id) ? Date.now() : undefined,
);
const committed = Date.parse(fresh.time);
console.log(JSON.stringify({ id: fresh.id, committed: fresh.time, seen: new Date(seen).toISOString(), lagSeconds: (seen - committed) / 1000 }));
