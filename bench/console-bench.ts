/**
 * The console's first paint with many rules, in a real browser:
 *
 *   node bench/console-bench.ts [--rules 1000] [--samples 9] [--modes checkout,package]
 *        [--url http://127.0.0.1:9200]
 *
 * esalert runs N rules (the steady-state benchmark's Kubernetes rule set, copied) against a real
 * Elasticsearch holding the generated event corpus, with a writeback index that a backfill of a
 * crash-loop rule filled with alerts. Each console page is then loaded in Debian's headless
 * Chromium, each sample in a fresh browser context (empty cache), and the browser's own
 * performance timing is read: first-contentful-paint (the page's frame) and the
 * `esalert:content` mark each page sets once its data is in the document. The first load after
 * esalert starts is reported apart: from a checkout it includes stripping the modules' types.
 *
 * Modes: `checkout` runs `node src/cli/main.ts` (TypeScript sources, console modules stripped on
 * the fly), `package` runs `node dist/cli/main.js` after `npm run build` (compiled modules).
 * Without --url an Elasticsearch 8 is started from the test cache and loaded with the corpus.
 * Writes bench/results/console.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { stringify } from 'yaml';
import { connectElasticsearch } from '../src/query/es-client.ts';
import { DEFAULT_CORPUS, generateAll, generateCorpus } from '../test/corpus/generator.ts';
import { loadCorpus } from '../test/corpus/load.ts';
import { CHROMIUM_ARGS, ensureChromium } from '../test/harness/chromium.ts';
import { ensureEs8, type RunningEs, startElasticsearch } from '../test/harness/elasticsearch.ts';
import { runCli } from '../test/integration/support/cli.ts';
import { serve } from '../test/integration/support/serve.ts';
import { makeWorkspace } from '../test/integration/support/workspace.ts';
import { crashloopRule } from '../test/support/rules.ts';
import { machineInfo } from './compare/report.ts';
import { steadyRules, writeRules } from './compare/rules.ts';

const ROOT = join(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    rules: { type: 'string', default: '1000' },
    samples: { type: 'string', default: '9' },
    modes: { type: 'string', default: 'checkout,package' },
    url: { type: 'string' },
  },
});
const RULES = Number(args.rules);
const SAMPLES = Number(args.samples);
const MODES = args.modes!.split(',') as ('checkout' | 'package')[];
const log = (m: string) => process.stderr.write(`[console-bench] ${m}\n`);

interface Sample {
  fcp: number;
  content: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

async function elasticsearch(): Promise<{ url: string; es?: RunningEs }> {
  if (args.url) return { url: args.url };
  const dist = await ensureEs8();
  const es = await startElasticsearch(dist!, { heapMb: 1024 });
  const conn = await connectElasticsearch({ nodes: [es.url], requestTimeoutMs: 600_000 });
  const corpus = generateCorpus(DEFAULT_CORPUS);
  await loadCorpus(conn.client, corpus.docs(), { prefix: 'eventrouter-' });
  await conn.close();
  return { url: es.url, es };
}

const entryPoint = (mode: 'checkout' | 'package') =>
  mode === 'checkout' ? undefined : join(ROOT, 'dist/cli/main.js');

/** Waits until most rules ran once (the aggregation rule types wait for their first bucket), at most 5 minutes. */
async function waitForRuns(url: string, n: number): Promise<number> {
  const deadline = Date.now() + 5 * 60_000;
  for (;;) {
    const r = (await (await fetch(`${url}/api/rules`)).json()) as { rules: { lastRun?: unknown }[] };
    const ran = r.rules.filter((x) => x.lastRun).length;
    if ((r.rules.length >= n && ran >= n * 0.8) || Date.now() > deadline) return ran;
    log(`${ran}/${r.rules.length} rules have run once`);
    await new Promise((res) => setTimeout(res, 5000));
  }
}

async function main(): Promise<void> {
  ensureChromium();
  if (MODES.includes('package')) {
    log('npm run build');
    const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('npm run build failed');
  }
  const { url: esUrl, es } = await elasticsearch();
  const u = new URL(esUrl);
  const token = 'bench-console-token-0123456789';
  const ws = makeWorkspace({
    es_host: u.hostname,
    es_port: Number(u.port),
    writeback_index: `esalert_console_bench_${process.pid}`,
    run_every: { minutes: 1 },
    buffer_time: { minutes: 15 },
    max_threads: 10,
    http_auth: { tokens: [{ name: 'bench', token }] },
  });
  const results: { mode: string; page: string; first: Sample; samples: Sample[] }[] = [];
  let apiRules = { bytes: 0, gzipBytes: 0, ms: [] as number[] };
  const ranBefore: Record<string, number> = {};
  try {
    writeRules(ws.rulesDir, steadyRules(RULES - 1));
    writeFileSync(join(ws.rulesDir, 'crashloop.yaml'), stringify(crashloopRule({ name: 'crashloop' })));
    const { manifest } = generateAll(DEFAULT_CORPUS);
    log('backfilling the crash-loop rule to fill the writeback with alerts');
    await runCli(
      [
        'run',
        '--config',
        ws.config,
        '--rule',
        'crashloop.yaml',
        '--start',
        manifest.start,
        '--end',
        manifest.end,
      ],
      { cwd: ws.dir },
    ).exited;
    const loop = manifest.crashLoops[0]!;
    const pages: [string, string][] = [
      ['Rules', '#/rules'],
      ['One rule', '#/rule/crashloop'],
      ['Alerts', '#/alerts'],
      ['Silences', '#/silences'],
      [
        'Kubernetes',
        `#/k8s?ns=${loop.namespace}&workload=${loop.deployment}&from=${manifest.start}&to=${manifest.end}`,
      ],
    ];
    const browser = await chromium.launch({
      executablePath: ensureChromium(),
      headless: true,
      args: CHROMIUM_ARGS,
    });
    try {
      for (const mode of MODES) {
        log(`${mode}: starting esalert with ${RULES} rules`);
        const entry = entryPoint(mode);
        const served = await serve(ws.config, ['--start', 'NOW', '--pin-rules'], {
          cwd: ws.dir,
          ...(entry ? { main: entry } : {}),
        });
        try {
          ranBefore[mode] = await waitForRuns(served.url, RULES);
          const load = async (hash: string): Promise<Sample> => {
            const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
            const page = await ctx.newPage();
            await page.goto(`${served.url}/${hash}`);
            // functions, not strings: the page's CSP forbids evaluating strings
            await page.waitForFunction(
              () => performance.getEntriesByName('esalert:content').length > 0,
              null,
              {
                timeout: 60_000,
              },
            );
            const s = await page.evaluate(() => ({
              fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN,
              content: performance.getEntriesByName('esalert:content')[0]!.startTime,
            }));
            await ctx.close();
            return s as Sample;
          };
          for (const [name, hash] of pages) {
            const first = await load(hash);
            const samples: Sample[] = [];
            for (let i = 0; i < SAMPLES; i++) samples.push(await load(hash));
            results.push({ mode, page: name, first, samples });
            log(
              `${mode} ${name}: first ${first.fcp.toFixed(0)}/${first.content.toFixed(0)} ms, median ${median(samples.map((s) => s.fcp)).toFixed(0)}/${median(samples.map((s) => s.content)).toFixed(0)} ms`,
            );
          }
          if (mode === MODES[0]) {
            const ms: number[] = [];
            let bytes = 0;
            let gzipBytes = 0;
            for (let i = 0; i < SAMPLES; i++) {
              const t0 = performance.now();
              const body = await (
                await fetch(`${served.url}/api/rules`, { headers: { 'accept-encoding': 'identity' } })
              ).arrayBuffer();
              ms.push(performance.now() - t0);
              bytes = body.byteLength;
            }
            const gz = spawnSync(
              'curl',
              [
                '-s',
                '-H',
                'accept-encoding: gzip',
                '-o',
                '/dev/null',
                '-w',
                '%{size_download}',
                `${served.url}/api/rules`,
              ],
              { encoding: 'utf8' },
            );
            gzipBytes = Number(gz.stdout) || 0;
            apiRules = { bytes, gzipBytes, ms };
          }
        } finally {
          await served.stop();
        }
      }
    } finally {
      await browser.close();
    }
  } finally {
    const conn = await connectElasticsearch({ nodes: [esUrl], requestTimeoutMs: 60_000 });
    await conn.client.indices.delete({ index: `esalert_console_bench_${process.pid}*` }).catch(() => {});
    await conn.close();
    ws.remove();
    await es?.stop();
  }

  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '—');
  const lines = [
    `# Console first paint with ${RULES} rules`,
    '',
    `\`node bench/console-bench.ts --rules ${RULES} --samples ${SAMPLES}\` on ${machineInfo()}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(', ')} at the end (the machine is shared).`,
    '',
    "Each sample loads the page in a fresh Chromium context (empty cache) and reads the browser's",
    'performance timing: **paint** is first-contentful-paint (the header and page frame), **data** is',
    'the `esalert:content` mark the page sets once its data is in the document (the next frame paints',
    'it). Times in milliseconds from navigation start; median and 90th percentile of the samples.',
    '"First load" is the first request after esalert started (from a checkout it includes stripping',
    "the console modules' types, once).",
    '',
    '| mode | page | paint median | paint p90 | data median | data p90 | first load paint / data |',
    '| ---- | ---- | -----------: | --------: | ----------: | -------: | ----------------------: |',
    ...results.map((r) => {
      const p = r.samples.map((s) => s.fcp);
      const c = r.samples.map((s) => s.content);
      return `| ${r.mode} | ${r.page} | ${f(median(p))} | ${f(pct(p, 90))} | ${f(median(c))} | ${f(pct(c, 90))} | ${f(r.first.fcp)} / ${f(r.first.content)} |`;
    }),
    '',
    `Rules that had run at least once when the measurements began: ${Object.entries(ranBefore)
      .map(([m, n]) => `${n} (${m})`)
      .join(', ')}; all ${RULES} run every minute throughout.`,
    '',
    `\`GET /api/rules\` with ${RULES} rules: ${(apiRules.bytes / 1024).toFixed(0)} KiB of JSON (${(apiRules.gzipBytes / 1024).toFixed(0)} KiB gzipped), answered in ${f(median(apiRules.ms))} ms (median of ${apiRules.ms.length}).`,
    '',
  ];
  const out = join(ROOT, 'bench/results/console.md');
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(out, lines.join('\n'));
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
