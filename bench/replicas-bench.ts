/**
 * Replicas benchmark: 1, 2 and 4 instances of `esalert run` sharing the same rules (one-minute
 * schedule) through one writeback index, in a real Elasticsearch.
 *
 *   node bench/replicas-bench.ts [--rules 1000] [--minutes 2] [--instances 1,2,4] [--url http://127.0.0.1:9200]
 *
 * For each instance count: the instances start and settle (every rule claimed and run once),
 * then for --minutes: Elasticsearch search requests per minute (counted by a proxy in front of
 * it), CPU and RSS of each instance (/proc), and the runs of every rule (status index: runs per
 * minute, windows repeated or left out). With 2 and 4 instances, one is then killed (SIGKILL):
 * the failover time of each of its rules is until another instance claims its lease, and until
 * that rule's next run; then one is stopped (SIGTERM) for the handover time.
 * Prints a markdown table and writes it to bench/results/replicas.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connectElasticsearch, type EsConnection } from '../src/query/es-client.ts';
import { startServer } from '../test/harness/elasticsearch.ts';
import { makeWorkspace } from '../test/integration/support/workspace.ts';

const { values: args } = parseArgs({
  options: {
    rules: { type: 'string', default: '1000' },
    minutes: { type: 'string', default: '2' },
    instances: { type: 'string', default: '1,2,4' },
    url: { type: 'string' },
  },
});
const RULES = Number(args.rules);
const MINUTES = Number(args.minutes);
const COUNTS = args.instances.split(',').map(Number);
const ROOT = join(import.meta.dirname, '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const es = args.url ? undefined : await startServer('es8', undefined, { heapMb: 1024 });
const url = args.url ?? es!.url;
const conn: EsConnection = await connectElasticsearch({ nodes: [url], requestTimeoutMs: 120_000 });
/** Search requests served for these indices so far (one shard each: one query per request). */
async function searchesOf(index: string): Promise<number> {
  const res = await conn.client.transport.request<{ _all: { total: { search: { query_total: number } } } }>({
    method: 'GET',
    path: `/${index}/_stats/search`,
  });
  return res.body._all.total.search.query_total;
}

const feed = 'bench-replicas-feed';
await conn.client.indices.delete({ index: feed, ignore_unavailable: true });
await conn.client.indices.create({
  index: feed,
  mappings: { properties: { '@timestamp': { type: 'date' }, rule: { type: 'keyword' } } },
});
await conn.client.bulk({
  refresh: true,
  operations: Array.from({ length: 200 }, (_, i) => [
    { index: { _index: feed } },
    { '@timestamp': new Date(Date.now() - i * 1000).toISOString(), rule: `rule-${i % RULES}` },
  ]).flat(),
});

interface Instance {
  child: ChildProcess;
  out: string;
  /** Its member id, from its first lines. */
  member: string | undefined;
}

function startInstance(config: string): Instance {
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'src/cli/main.ts'),
      'run',
      '--config',
      config,
      '--log-level',
      'info',
      '--shutdown-timeout',
      '10',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const inst: Instance = { child, out: '', member: undefined };
  const keep = (d: Buffer) => {
    // keep the lines that matter here, not every run
    for (const line of d.toString().split('\n')) {
      inst.member ??= /"member":"([^"]+)"/.exec(line)?.[1];
      if (!line.includes('"msg":"Ran ')) inst.out = (inst.out + line + '\n').slice(-20_000);
    }
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return inst;
}

/** utime+stime (ms) and RSS (MB) of a process. */
function usage(pid: number): { cpuMs: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return { cpuMs: (ticks * 1000) / 100, rssMb: Number(rss) / 1024 };
}

interface Lease {
  rule: string;
  owner: string;
}

async function leases(wb: string): Promise<Lease[]> {
  await conn.client.indices.refresh({ index: `${wb}_esalert_leases` });
  const res = await conn.client.search<Lease>({ index: `${wb}_esalert_leases`, size: 10_000 });
  return res.hits.hits.map((h) => h._source!);
}

async function statuses(wb: string, fromIso: string) {
  await conn.client.indices.refresh({ index: `${wb}_status` });
  const out: { rule_name: string; starttime: string; endtime: string; '@timestamp': string }[] = [];
  for await (const d of conn.client.helpers.scrollDocuments<(typeof out)[number]>({
    index: `${wb}_status`,
    query: { range: { '@timestamp': { gte: fromIso } } },
    sort: [{ '@timestamp': 'asc' }],
  }))
    out.push(d);
  return out;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};

/** Kills or stops one instance; seconds until its rules' leases are claimed by others, and until their next run. */
async function moveOut(wb: string, insts: Instance[], victim: Instance, signal: 'SIGKILL' | 'SIGTERM') {
  const member = victim.member;
  const owned = (await leases(wb)).filter((l) => l.owner === member).map((l) => l.rule);
  const t0 = Date.now();
  victim.child.kill(signal);
  const claimed = new Map<string, number>();
  while (claimed.size < owned.length && Date.now() - t0 < 120_000) {
    for (const l of await leases(wb))
      if (owned.includes(l.rule) && l.owner && l.owner !== member && !claimed.has(l.rule))
        claimed.set(l.rule, (Date.now() - t0) / 1000);
    await sleep(200);
  }
  await sleep(65_000); // every rule runs once more
  const ran = new Map<string, number>();
  for (const s of await statuses(wb, new Date(t0).toISOString())) {
    if (!owned.includes(s.rule_name)) continue;
    const at = (Date.parse(s['@timestamp']) - t0) / 1000;
    ran.set(s.rule_name, Math.min(at, ran.get(s.rule_name) ?? Infinity));
  }
  insts.splice(insts.indexOf(victim), 1);
  const c = [...claimed.values()];
  const r = [...ran.values()];
  return {
    rules: owned.length,
    claimedP50: pct(c, 50),
    claimedMax: Math.max(...c),
    ranP50: pct(r, 50),
    ranMax: Math.max(...r),
    neverRan: owned.length - ran.size,
  };
}

const rows: string[] = [];
const moves: string[] = [];
for (const n of COUNTS) {
  const wb = `bench_replicas_${n}_${Date.now()}`;
  const ws = makeWorkspace({
    es_host: new URL(url).hostname,
    es_port: Number(new URL(url).port),
    run_every: { minutes: 1 },
    buffer_time: { minutes: 15 },
    writeback_index: wb,
    max_threads: 10,
  });
  for (let i = 0; i < RULES; i++)
    ws.writeRule(`rule-${i}.yaml`, {
      name: `rule-${i}`,
      type: 'any',
      index: feed,
      filter: [{ term: { rule: `rule-${i}` } }],
      realert: { minutes: 0 },
      alert: ['debug'],
    });
  const insts = Array.from({ length: n }, () => startInstance(ws.config));
  // settled: every rule claimed, and the first runs (spread over 15 s) done
  const t0 = Date.now();
  while (true) {
    const l = await leases(wb).catch(() => []);
    if (l.filter((x) => x.owner).length >= RULES) break;
    if (Date.now() - t0 > 300_000) throw new Error(`instances did not claim every rule:\n${insts[0]!.out}`);
    await sleep(1000);
  }
  await sleep(75_000);
  const from = new Date().toISOString();
  const before = insts.map((i) => usage(i.child.pid!));
  const s0 = await searchesOf(feed);
  const w0 = await searchesOf(`${wb}*`);
  const tm = Date.now();
  await sleep(MINUTES * 60_000);
  const mins = (Date.now() - tm) / 60_000;
  const perMin = ((await searchesOf(feed)) - s0) / mins;
  const wbPerMin = ((await searchesOf(`${wb}*`)) - w0) / mins;
  const after = insts.map((i) => usage(i.child.pid!));
  const cpu = after.map((a, i) => (a.cpuMs - before[i]!.cpuMs) / (mins * 60_000));
  const runs = await statuses(wb, from);
  const byRule = new Map<string, typeof runs>();
  for (const r of runs) byRule.set(r.rule_name, [...(byRule.get(r.rule_name) ?? []), r]);
  for (const list of byRule.values())
    list.sort((x, y) => Date.parse(x['@timestamp']) - Date.parse(y['@timestamp']));
  // each rule should run once a minute: the fewest and most runs of a rule, and windows left out
  let gaps = 0;
  for (const list of byRule.values())
    for (let i = 1; i < list.length; i++) if (list[i]!.starttime > list[i - 1]!.endtime) gaps++;
  const counts = [...byRule.values()].map((l) => l.length);
  rows.push(
    `| ${n} | ${perMin.toFixed(0)} | ${wbPerMin.toFixed(0)} | ${(runs.length / mins).toFixed(0)} | ${cpu.map((c) => `${(c * 100).toFixed(1)}%`).join(', ')} | ` +
      `${after.map((a) => a.rssMb.toFixed(0)).join(', ')} | ${RULES - byRule.size} | ${Math.min(...counts)}-${Math.max(...counts)} | ${gaps} |`,
  );
  process.stderr.write(`${rows.at(-1)}\n`);
  if (n >= 2) {
    const k = await moveOut(wb, insts, insts[0]!, 'SIGKILL');
    moves.push(
      `| ${n} -> ${n - 1} | SIGKILL | ${k.rules} | ${k.claimedP50.toFixed(1)} | ${k.claimedMax.toFixed(1)} | ${k.ranP50.toFixed(1)} | ${k.ranMax.toFixed(1)} | ${k.neverRan} |`,
    );
    process.stderr.write(`${moves.at(-1)}\n`);
    // a handover needs someone to hand over to
    if (insts.length >= 2) {
      const t = await moveOut(wb, insts, insts[0]!, 'SIGTERM');
      moves.push(
        `| ${n - 1} -> ${n - 2} | SIGTERM | ${t.rules} | ${t.claimedP50.toFixed(1)} | ${t.claimedMax.toFixed(1)} | ${t.ranP50.toFixed(1)} | ${t.ranMax.toFixed(1)} | ${t.neverRan} |`,
      );
      process.stderr.write(`${moves.at(-1)}\n`);
    }
  }
  for (const i of insts) i.child.kill('SIGKILL');
  ws.remove();
  await conn.client.indices.delete({ index: `${wb}*` }).catch(() => {});
}

const table = [
  `# Replicas: ${RULES} rules, one-minute schedule, 1/2/4 instances`,
  '',
  `Machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GB, shared with other work.`,
  `Elasticsearch 8 on the same machine. Rules: \`any\` over a small index, lease 15 s, renew 5 s (defaults).`,
  `Each count measured for ${MINUTES} minute(s) after every rule was claimed and had run once (75 s).`,
  '',
  `| instances | ES rule searches/min (all instances) | writeback searches/min | rule runs/min | CPU per instance | RSS MB per instance | rules not run | runs per rule in ${MINUTES} min (fewest-most) | windows left out |`,
  '|---|---|---|---|---|---|---|---|---|',
  ...rows,
  '',
  "Searches are the query totals of the rules' index and of the writeback indices (one shard each), from Elasticsearch's index stats; the lease store's own requests (a few per renew interval per instance) are in the writeback column.",
  '',
  '## Failover (SIGKILL) and handover (SIGTERM)',
  '',
  'Seconds from the signal until another instance claimed each rule of the instance that went, and until that rule ran again (the new owner runs a rule it took over at once).',
  '',
  '| instances | signal | rules moved | claimed p50 | claimed max | ran again p50 | ran again max | never ran again |',
  '|---|---|---|---|---|---|---|---|',
  ...moves,
  '',
].join('\n');
process.stdout.write(table);
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/replicas.md'), table);
await conn.close();
await es?.stop();
