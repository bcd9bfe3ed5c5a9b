/**
 * Engine benchmark: a Kubernetes rule set over the generated event corpus in a real Elasticsearch.
 *
 *   node bench/engine-bench.ts [--docs 1000000] [--runs 60] [--url http://127.0.0.1:9200]
 *
 * Two measurements:
 *  - backfill: every rule over the whole day once (--start/--end), as after downtime;
 *  - steady state: every rule once per minute for --runs minutes of that day (clock stepped),
 *    as in production, with the usual 15-minute buffer overlap.
 * Prints a markdown table (and writes it to bench/results/): wall time, rules evaluated per
 * second, Elasticsearch requests per rule per run, hits, matches, peak RSS.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { catalogs } from '../src/app/catalogs.ts';
import { FakeClock } from '../src/model/clock.ts';
import { createAlertPipeline } from '../src/alerts/pipeline.ts';
import { type EngineDeps, runRule } from '../src/engine/run-rule.ts';
import { createRuntimeRule, type RuntimeRule } from '../src/engine/runtime-rule.ts';
import { connectElasticsearch, type EsConnection } from '../src/query/es-client.ts';
import { createEsSearchPort } from '../src/query/es-search-port.ts';
import { loadRules } from '../src/compile/load-rules.ts';
import { createEsWriteback } from '../src/state/es-writeback.ts';
import { writebackStores } from '../src/state/writeback.ts';
import { generateCorpus } from '../test/corpus/generator.ts';
import { loadCorpus } from '../test/corpus/load.ts';
import { startServer } from '../test/harness/elasticsearch.ts';
import { makeWorkspace } from '../test/integration/support/workspace.ts';
import { testConfig } from '../test/support/config.ts';
import { BENCH_RULES } from './rule-set.ts';

const { values: args } = parseArgs({
  options: {
    docs: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '60' },
    url: { type: 'string' },
    heap: { type: 'string', default: '2048' },
    server: { type: 'string', default: 'es8' },
    'server-version': { type: 'string' },
  },
});
const docs = Number(args.docs);
const runs = Number(args.runs);
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const silent = pino({ level: 'silent' });
const DAY_START = Date.parse('2024-05-14T00:00:00Z');
const DAY_END = DAY_START + 86_400_000;

interface Counters {
  search: number;
  count: number;
  pit: number;
  writeback: number;
}

interface PhaseResult {
  phase: string;
  ruleRuns: number;
  wallMs: number;
  requests: Counters;
  hits: number;
  matches: number;
  perRule: Map<string, { runs: number; ms: number; requests: number; hits: number; matches: number }>;
}

async function setupEs(): Promise<{ url: string; stop: () => Promise<void>; version: string }> {
  if (args.url) {
    const conn = await connectElasticsearch({ nodes: [args.url], requestTimeoutMs: 60_000 });
    const version = conn.server.version;
    await conn.close();
    return { url: args.url, stop: async () => {}, version };
  }
  const es = await startServer(args.server, args['server-version'], { heapMb: Number(args.heap), log });
  return { url: es.url, stop: es.stop, version: es.version };
}

async function ensureCorpus(conn: EsConnection): Promise<{ loadedMs: number; count: number }> {
  const existing = await conn.client
    .count({ index: 'eventrouter-*', ignore_unavailable: true, allow_no_indices: true })
    .catch(() => ({ count: 0 }));
  if (existing.count >= docs * 0.9) return { loadedMs: 0, count: existing.count };
  log(`generating and loading ~${docs} documents`);
  const r = await loadCorpus(conn.client, generateCorpus({ docs }).docs(), {
    onProgress: (n) => log(`  ${n} loaded`),
  });
  return { loadedMs: r.ms, count: r.docs };
}

function freshRules(dir: string): RuntimeRule[] {
  const global = testConfig({
    rules_folder: dir,
    run_every: { minutes: 1 },
    buffer_time: { minutes: 15 },
    es_host: '127.0.0.1',
    writeback_index: 'bench',
  });
  const loaded = loadRules({ global, env: () => undefined, catalogs: catalogs(), logger: silent });
  if (loaded.errors.length) throw new Error(loaded.errors.map((e) => e.error.message).join('\n'));
  return loaded.rules.map((r) => createRuntimeRule(r));
}

async function phase(
  name: string,
  conn: EsConnection,
  rules: RuntimeRule[],
  windows: { end: number; start?: number }[],
  clock: FakeClock,
  wb: string,
): Promise<PhaseResult> {
  const counters: Counters = { search: 0, count: 0, pit: 0, writeback: 0 };
  let current = '';
  const perRule = new Map<
    string,
    { runs: number; ms: number; requests: number; hits: number; matches: number }
  >();
  const bump = () => perRule.get(current) && perRule.get(current)!.requests++;
  const port = createEsSearchPort(conn.client, { onRequest: (k) => (counters[k]++, bump()) });
  const writeback = createEsWriteback(conn.client, wb, { onRequest: () => (counters.writeback++, bump()) });
  await writeback.ensureIndices();
  const pipeline = createAlertPipeline({
    clock,
    logger: silent,
    stores: writebackStores(writeback),
    alertTimeLimitMs: 2 * 86_400_000,
    maxAggregation: 10_000,
  });
  const engine: EngineDeps = {
    clock,
    logger: silent,
    stores: writebackStores(writeback),
    sink: pipeline,
    search: () => port,
    globals: { runEveryMs: 60_000, oldQueryLimitMs: 7 * 86_400_000 },
  };
  let hits = 0;
  let matches = 0;
  let ruleRuns = 0;
  const started = performance.now();
  for (const w of windows) {
    clock.set(w.end + 60_000);
    for (const rt of rules) {
      current = rt.rule.name;
      const stats = perRule.get(current) ?? { runs: 0, ms: 0, requests: 0, hits: 0, matches: 0 };
      perRule.set(current, stats);
      const t = performance.now();
      const report = await runRule(rt, w.end, engine, w.start !== undefined ? { start: w.start } : {});
      if (report.error) throw report.error;
      stats.ms += performance.now() - t;
      stats.runs++;
      stats.hits += report.hits;
      stats.matches += report.matches.length;
      hits += report.hits;
      matches += report.matches.length;
      ruleRuns++;
    }
  }
  const wallMs = performance.now() - started;
  await pipeline.drain(30_000);
  await conn.client.indices.delete({ index: `${wb}*` }).catch(() => {});
  return { phase: name, ruleRuns, wallMs, requests: counters, hits, matches, perRule };
}

function table(results: PhaseResult[], meta: Record<string, string>): string {
  const lines: string[] = [];
  lines.push(`# esalert engine benchmark`, '');
  for (const [k, v] of Object.entries(meta)) lines.push(`- ${k}: ${v}`);
  lines.push(
    '',
    '| phase | rule runs | wall (s) | rules evaluated / s | ES requests / rule run | hits read | matches |',
    '|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of results) {
    const req = r.requests.search + r.requests.count + r.requests.pit + r.requests.writeback;
    lines.push(
      `| ${r.phase} | ${r.ruleRuns} | ${(r.wallMs / 1000).toFixed(2)} | ${(r.ruleRuns / (r.wallMs / 1000)).toFixed(1)} | ${(req / r.ruleRuns).toFixed(2)} (search ${r.requests.search}, count ${r.requests.count}, pit ${r.requests.pit}, writeback ${r.requests.writeback}) | ${r.hits} | ${r.matches} |`,
    );
  }
  for (const r of results) {
    lines.push(
      '',
      `## ${r.phase}: per rule`,
      '',
      '| rule | runs | ms / run | ES requests / run | hits | matches |',
      '|---|---:|---:|---:|---:|---:|',
    );
    for (const [name, s] of r.perRule) {
      lines.push(
        `| ${name} | ${s.runs} | ${(s.ms / s.runs).toFixed(1)} | ${(s.requests / s.runs).toFixed(2)} | ${s.hits} | ${s.matches} |`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

const es = await setupEs();
const ws = makeWorkspace({});
try {
  const conn = await connectElasticsearch({ nodes: [es.url], requestTimeoutMs: 120_000 });
  const corpus = await ensureCorpus(conn);
  for (const [file, rule] of Object.entries(BENCH_RULES)) ws.writeRule(file, rule);
  const clock = new FakeClock(DAY_END);
  const results: PhaseResult[] = [];
  log('backfill: every rule over the whole day');
  results.push(
    await phase(
      'backfill (1 run per rule over 24 h)',
      conn,
      freshRules(ws.rulesDir),
      [{ start: DAY_START, end: DAY_END }],
      clock,
      'bench_backfill',
    ),
  );
  log(`steady state: ${runs} one-minute runs per rule`);
  const from = DAY_START + 12 * 3_600_000;
  const windows = Array.from({ length: runs }, (_, i) => ({
    end: from + (i + 1) * 60_000,
    ...(i === 0 ? { start: from - 15 * 60_000 } : {}),
  }));
  results.push(
    await phase(
      `steady state (${runs} runs per rule, 1 min apart, 15 min buffer)`,
      conn,
      freshRules(ws.rulesDir),
      windows,
      clock,
      'bench_steady',
    ),
  );
  const peak = process.resourceUsage().maxRSS;
  const meta = {
    date: new Date().toISOString(),
    machine: `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    node: process.version,
    elasticsearch: `${es.version} (single node, 127.0.0.1)`,
    corpus: `${corpus.count} eventrouter documents over 24 h${corpus.loadedMs ? `, loaded in ${(corpus.loadedMs / 1000).toFixed(1)} s (${Math.round(corpus.count / (corpus.loadedMs / 1000))} docs/s)` : ''}`,
    rules: `${Object.keys(BENCH_RULES).length} (${[...new Set(Object.values(BENCH_RULES).map((r) => String(r.type)))].join(', ')})`,
    'peak RSS of the engine process': `${(peak / 1024).toFixed(0)} MiB`,
  };
  const md = table(results, meta);
  process.stdout.write(md);
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `engine-${docs}.md`), md);
  await conn.close();
} finally {
  ws.remove();
  await es.stop();
}
