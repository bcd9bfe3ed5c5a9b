/**
 * ElastAlert 2 and esalert side by side over the same Elasticsearch, corpus and rules:
 *
 *   node bench/compare/compare.ts [--docs 40000] [--server es7|es8|es9|os2|os3 [--server-version V]]
 *        [--es http://127.0.0.1:9200] [--trace] [--esalert-ref HEAD]
 *        [--ea2-limit-minutes 60] [--ea2-run <work dir>/ea2-run.json]
 *
 * Starts a test server (--server: Elasticsearch 7.17, 8.x (the default), 9.x, OpenSearch 2.x, 3.x) (or uses --es, loading the corpus when eventrouter-* is missing),
 * writes the shared rule set, runs ElastAlert 2 and then esalert over the corpus's day, each through
 * its own counting proxy into its own writeback index, and prints a markdown report (also written
 * to bench/results/compare-<docs>.md): time, CPU, memory, Elasticsearch requests, per-rule matches
 * and alerts, and the alerts only one engine wrote. --trace keeps every request in the work dir;
 * --esalert-ref runs that commit of esalert (exported with git archive) instead of the working tree.
 * ElastAlert 2 is stopped after --ea2-limit-minutes (0: no limit); the rules it had not finished by
 * then are named in the report and left out of the alert comparison. --ea2-run takes ElastAlert 2's
 * figures and alerts from an earlier run of the same corpus and rules instead of running it again
 * (to measure a change to esalert against a run that took ElastAlert 2 hours).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connectElasticsearch } from '../../src/query/es-client.ts';
import { DEFAULT_CORPUS, generateCorpus } from '../../test/corpus/generator.ts';
import { loadCorpus } from '../../test/corpus/load.ts';
import { type RunningEs, runningServerName, startServer } from '../../test/harness/elasticsearch.ts';
import { diffAlerts, ruleKeysFromDir } from './diff-alerts.ts';
import { ensureEa2 } from './ea2-install.ts';
import type { EngineRun, EngineRunOptions } from './engine-run.ts';
import { startEsProxy } from './es-proxy.ts';
import { renderReport } from './report.ts';
import { COMPARISON_RULES, writeRules } from './rules.ts';
import { runEa2 } from './run-ea2.ts';
import { exportCommit, runEsalert, workingTree } from './run-esalert.ts';

const log = (msg: string) => process.stderr.write(`[compare] ${msg}\n`);
const RESULTS = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'results');

const { values: args } = parseArgs({
  options: {
    docs: { type: 'string', default: '40000' },
    es: { type: 'string' },
    out: { type: 'string' },
    trace: { type: 'boolean', default: false },
    heap: { type: 'string', default: '1024' },
    server: { type: 'string', default: 'es8' },
    'server-version': { type: 'string' },
    'esalert-ref': { type: 'string' },
    'ea2-limit-minutes': { type: 'string', default: '60' },
    'ea2-run': { type: 'string' },
  },
});
const ea2LimitMinutes = Number(args['ea2-limit-minutes']);
if (!(ea2LimitMinutes >= 0))
  throw new Error(`--ea2-limit-minutes must be >= 0: ${args['ea2-limit-minutes']}`);
const docs = Number(args.docs);
if (!Number.isInteger(docs) || docs <= 0) throw new Error(`--docs must be a positive integer: ${args.docs}`);

/** The corpus's day, as the generator's defaults define it. */
function corpusWindow(): { start: string; end: string } {
  const start = Date.parse(DEFAULT_CORPUS.start);
  const end = start + DEFAULT_CORPUS.hours * 3_600_000;
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString() };
}

/** Loads the corpus unless eventrouter-* already holds documents; returns how many it holds. */
async function ensureCorpus(url: string): Promise<number> {
  const conn = await connectElasticsearch({ nodes: [url], requestTimeoutMs: 120_000 });
  try {
    const existing = await conn.client
      .count({ index: 'eventrouter-*', allow_no_indices: true })
      .then((r) => r.count);
    if (existing > 0) {
      log(`eventrouter-* already holds ${existing} documents: not loading`);
      return existing;
    }
    const r = await loadCorpus(conn.client, generateCorpus({ docs }).docs());
    log(`loaded ${r.docs} documents into ${r.indices.join(', ')} in ${(r.ms / 1000).toFixed(1)} s`);
    return r.docs;
  } finally {
    await conn.close();
  }
}

async function throughProxy(
  name: string,
  esUrl: string,
  traceDir: string | undefined,
  run: (o: Pick<EngineRunOptions, 'esUrl' | 'readUrl'>) => Promise<EngineRun>,
): Promise<EngineRun> {
  const proxy = await startEsProxy(
    esUrl,
    traceDir ? { traceFile: join(traceDir, `${name}-requests.ndjson`) } : {},
  );
  try {
    log(`running ${name} through ${proxy.url}`);
    const before = loadavg()[0]!;
    const result = await run({ esUrl: proxy.url, readUrl: esUrl });
    return { ...result, requests: proxy.counts(), loadAverage: { before, after: loadavg()[0]! } };
  } finally {
    await proxy.close();
  }
}

async function main(): Promise<void> {
  const ea2 = ensureEa2();
  log(`ElastAlert 2 ${ea2.version} (Python ${ea2.pythonVersion})`);
  let es: RunningEs | undefined;
  try {
    let url = args.es;
    if (!url) {
      es = await startServer(args.server, args['server-version'], { heapMb: Number(args.heap) });
      url = es.url;
    }
    const esVersion = await runningServerName(url);
    const loaded = await ensureCorpus(url);
    const window = corpusWindow();
    const workDir = mkdtempSync(join(tmpdir(), `esalert-compare-${docs}-`));
    const rulesDir = join(workDir, 'rules');
    writeRules(rulesDir);
    const suffix = Date.now().toString(36);
    const common = { rulesDir, ...window, runEveryMinutes: 1, bufferTimeMinutes: 15 };
    const traceDir = args.trace ? workDir : undefined;
    const recorded = args['ea2-run'];
    if (recorded) log(`ElastAlert 2's run read from ${recorded}`);
    const ea2Run: EngineRun = recorded
      ? (JSON.parse(readFileSync(recorded, 'utf8')) as EngineRun)
      : await throughProxy('ea2', url, traceDir, (o) =>
          runEa2({
            ...common,
            ...o,
            writebackIndex: `compare_ea2_${suffix}`,
            workDir: join(workDir, 'ea2'),
            ...(ea2LimitMinutes > 0 ? { limitMs: ea2LimitMinutes * 60_000 } : {}),
          }),
        );
    const ref = args['esalert-ref'];
    const source = ref ? exportCommit(ref, join(workDir, 'esalert-src')) : workingTree();
    const esaRun = await throughProxy('esalert', url, traceDir, (o) =>
      runEsalert(
        { ...common, ...o, writebackIndex: `compare_esalert_${suffix}`, workDir: join(workDir, 'esalert') },
        source,
      ),
    );
    writeFileSync(join(workDir, 'ea2-run.json'), JSON.stringify(ea2Run, null, 2));
    writeFileSync(join(workDir, 'esalert-run.json'), JSON.stringify(esaRun, null, 2));
    // Rules ElastAlert 2 had not finished when it was stopped wrote no alerts yet: not compared.
    const unfinished = ea2Run.stopped
      ? COMPARISON_RULES.filter((r) => !ea2Run.status[r.name]).map((r) => r.name)
      : [];
    const compared = (alerts: typeof esaRun.alerts) => alerts.filter((a) => !unfinished.includes(a.ruleName));
    const diff = diffAlerts(compared(ea2Run.alerts), compared(esaRun.alerts), ruleKeysFromDir(rulesDir));
    const report = renderReport(
      {
        docs: loaded,
        window,
        esVersion,
        pythonVersion: ea2.pythonVersion,
        runEveryMinutes: common.runEveryMinutes,
        bufferTimeMinutes: common.bufferTimeMinutes,
        workDir,
        ...(ea2Run.stopped
          ? { ea2Stopped: { afterMinutes: Math.round(ea2Run.measurement.wallMs / 60_000), unfinished } }
          : {}),
        ...(recorded ? { ea2Recorded: recorded } : {}),
      },
      COMPARISON_RULES,
      ea2Run,
      esaRun,
      diff,
    );
    const out = args.out ?? join(RESULTS, `compare-${docs}.md`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, report);
    console.log(report);
    log(`report written to ${out}`);
  } finally {
    await es?.stop();
  }
}

await main();
