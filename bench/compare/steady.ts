/**
 * ElastAlert 2 and esalert in steady state: N rules on a one-minute run_every over an index that
 * keeps receiving Kubernetes events, each engine running continuously for a while, one after the
 * other (never both at once):
 *
 *   node bench/compare/steady.ts --rules 100 [--minutes 10] [--rate 200] [--history-minutes 15]
 *        [--engines ea2,esalert] [--es http://127.0.0.1:9200] [--esalert-ref HEAD] [--out file]
 *        [--esalert-flags="--cpu-prof --cpu-prof-dir=/tmp/prof"] [--restart-after 5]
 *   node bench/compare/steady.ts --render /tmp/esalert-steady-100-XXXX [--out file]
 *
 * For each engine: the event indices are emptied, the feeder (feeder.ts) loads the last
 * `--history-minutes` of events and keeps indexing new ones at `--rate` documents per second with
 * @timestamp = now, the engine starts (through its own counting proxy, with its own writeback
 * index) and gets SIGINT after `--minutes`. The report (bench/results/steady-<N>.md) gives per
 * engine: run lag (the status document's @timestamp minus the end of the run's query window),
 * the interval between a rule's runs, late and skipped runs, the same once settled (from two
 * minutes after the first run) and by minute, how far behind each rule is when the engine stops,
 * CPU time, peak RSS and Elasticsearch requests per minute. --render writes the report again from
 * a run's saved files.
 *
 * --restart-after M measures a restart instead of a first start: each engine first runs for M
 * minutes straight against Elasticsearch, gets SIGINT, and is started again at once with the same
 * writeback index (its rules resume from their status documents); the figures are the second
 * process's, and a rule's first interval is the one across the restart.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type EsClient as Client, connectElasticsearch } from '../../src/query/es-client.ts';
import { type RunningEs, runningServerName, startServer } from '../../test/harness/elasticsearch.ts';
import { ensureEa2 } from './ea2-install.ts';
import { type EngineRunOptions, engineEnv, writeConfig } from './engine-run.ts';
import { REQUEST_KINDS, type RequestCounts, startEsProxy } from './es-proxy.ts';
import { type FeederStats, startFeeder } from './feeder.ts';
import { type Measurement, runMeasured } from './measure.ts';
import { machineInfo } from './report.ts';
import { steadyRules, writeRules } from './rules.ts';
import { buildEsalert, describeImageNode, imageEnv, imageNode } from './esalert-build.ts';
import { esalertLogErrors, exportCommit, workingTree } from './run-esalert.ts';
import { ea2LogErrors } from './run-ea2.ts';

const log = (msg: string) => process.stderr.write(`[steady] ${msg}\n`);
const RESULTS = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'results');
const MIN = 60_000;
const RUN_EVERY_MS = MIN;
/**
 * Where the settled figures start, after the first run written: the first runs read whole
 * buffer_times and the second ones wait behind them; from then on a run reads about a minute.
 */
const SETTLE_MS = 2 * MIN;

type EngineName = 'ea2' | 'esalert';
const TITLE: Record<EngineName, string> = { ea2: 'ElastAlert 2', esalert: 'esalert' };

/** One `<writeback>_status` document: one run of one rule. */
interface StatusDoc {
  rule: string;
  endtime: number;
  writtenAt: number;
  timeTakenS: number;
}

export interface SteadyRun {
  engine: EngineName;
  version: string;
  rules: number;
  measurement: Measurement;
  requests: RequestCounts;
  feeder: FeederStats;
  loadAverage: { before: number; after: number };
  /** What Elasticsearch and the whole machine spent while the engine ran. */
  server: ServerUse;
  status: StatusDoc[];
  /** With --restart-after: each rule's last run by the first process (the measured one resumes from it). */
  resumedFrom?: StatusDoc[];
  alerts: number;
  errors: string[];
  /** Elasticsearch and the machine sampled every SAMPLE_MS while the engine ran (runs saved before it: none). */
  samples?: ServerSample[];
  /** Runs the engine's log says were skipped (previous run still going) or dropped (waited too long for a thread). */
  skippedInLog: number;
  droppedInLog: number;
  logFile: string;
}

interface ServerUse {
  /** CPU time of the Elasticsearch process(es) (node stats). */
  esCpuMs: number;
  /** Search time Elasticsearch reports: query and fetch phases, summed over shards. */
  esQueryMs: number;
  esFetchMs: number;
  /** Searches (shard level) Elasticsearch ran. */
  esQueries: number;
  /** Busy share of all the machine's cores (/proc/stat), 0..1; undefined off Linux. */
  machineBusy: number | undefined;
}

/** The server counters at one instant, with the bench's own CPU (the feeder and the proxy run in it). */
interface ServerSample {
  at: number;
  counters: ServerCounters;
  benchCpuMs: number;
}

const SAMPLE_MS = 5000;

/** Samples the counters every SAMPLE_MS until stopped. */
function startSampler(client: Client): { stop(): Promise<ServerSample[]> } {
  const samples: ServerSample[] = [];
  let stopped = false;
  const take = async () => {
    const counters = await serverCounters(client);
    const u = process.cpuUsage();
    samples.push({ at: Date.now(), counters, benchCpuMs: (u.user + u.system) / 1000 });
  };
  const loop: Promise<void> = (async () => {
    while (!stopped) {
      await take().catch(() => undefined);
      await new Promise((r) => setTimeout(r, SAMPLE_MS));
    }
    await take().catch(() => undefined);
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return samples;
    },
  };
}

interface ServerCounters {
  cpuMs: number;
  queryMs: number;
  fetchMs: number;
  queries: number;
  machine: { busy: number; total: number } | undefined;
}

/** The machine's CPU ticks since boot, busy and total (undefined where /proc/stat is missing). */
function machineTicks(): { busy: number; total: number } | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = cpu.reduce((a, b) => a + b, 0);
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0); // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

async function serverCounters(client: Client): Promise<ServerCounters> {
  type NodeStats = {
    process?: { cpu?: { total_in_millis?: number } };
    indices?: {
      search?: { query_time_in_millis?: number; fetch_time_in_millis?: number; query_total?: number };
    };
  };
  const stats = (
    await client.transport.request<{ nodes: Record<string, NodeStats> }>({
      method: 'GET',
      path: '/_nodes/stats/process,indices',
    })
  ).body;
  const out: ServerCounters = { cpuMs: 0, queryMs: 0, fetchMs: 0, queries: 0, machine: machineTicks() };
  for (const n of Object.values(stats.nodes)) {
    out.cpuMs += n.process?.cpu?.total_in_millis ?? 0;
    out.queryMs += n.indices?.search?.query_time_in_millis ?? 0;
    out.fetchMs += n.indices?.search?.fetch_time_in_millis ?? 0;
    out.queries += n.indices?.search?.query_total ?? 0;
  }
  return out;
}

function serverUse(a: ServerCounters, b: ServerCounters): ServerUse {
  return {
    esCpuMs: b.cpuMs - a.cpuMs,
    esQueryMs: b.queryMs - a.queryMs,
    esFetchMs: b.fetchMs - a.fetchMs,
    esQueries: b.queries - a.queries,
    machineBusy:
      a.machine && b.machine && b.machine.total > a.machine.total
        ? (b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total)
        : undefined,
  };
}

/** Reads every document of `index` (none if it does not exist). */
async function readAll(client: Client, index: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  if (!(await client.indices.exists({ index }))) return out;
  for await (const d of client.helpers.scrollDocuments<Record<string, unknown>>({
    index,
    size: 5000,
    query: { match_all: {} },
  }))
    out.push(d);
  return out;
}

/** Skipped and dropped runs as the engine's log reports them. */
function runsMissedInLog(engine: EngineName, text: string): { skipped: number; dropped: number } {
  const count = (re: RegExp) => text.match(re)?.length ?? 0;
  if (engine === 'ea2')
    return {
      skipped: count(/Execution of job "Rule: [^\n]*skipped: maximum number of running instances reached/g),
      dropped: count(/Run time of job "Rule: [^\n]*was missed by/g),
    };
  return { skipped: count(/run skipped: the previous run of this rule is still going/g), dropped: 0 };
}

interface PhaseOptions {
  engine: EngineName;
  esUrl: string;
  client: Client;
  rulesDir: string;
  rules: number;
  workDir: string;
  durationMs: number;
  rate: number;
  historyMs: number;
  esalertDir: string;
  /** The compiled CLI (esalert-build.ts). */
  esalertMain: string;
  esalertVersion: string;
  /** More node flags for esalert (--esalert-flags, e.g. --cpu-prof), after the image's. */
  extraFlags: string[];
  /** --restart-after: how long the first, unmeasured process runs (0: no restart). */
  restartAfterMs: number;
}

/** esalert's node flags and environment: as the image starts it. */
function esalertStart(sourceDir: string): { flags: string[]; env: NodeJS.ProcessEnv } {
  const node = imageNode(join(sourceDir, 'Dockerfile'));
  return { flags: node.flags, env: imageEnv(engineEnv(), node) };
}

async function runPhase(o: PhaseOptions): Promise<SteadyRun> {
  const workDir = join(o.workDir, o.engine);
  mkdirSync(workDir, { recursive: true });
  const writebackIndex = `steady_${o.engine}_${Date.now().toString(36)}`;
  await o.client.indices.delete({ index: 'eventrouter-*', allow_no_indices: true, ignore_unavailable: true });
  // the feeder outlives the engine a little: the engine's start-up is part of its measured time
  const feeder = await startFeeder(o.client, {
    rate: o.rate,
    durationMs: o.restartAfterMs + o.durationMs + MIN,
    historyMs: o.historyMs,
  });
  log(`${o.engine}: ${feeder.stats().preloaded} documents of history loaded; feeding ${o.rate}/s`);
  const trace = process.env.ESALERT_BENCH_TRACE;
  const proxy = await startEsProxy(o.esUrl, trace ? { traceFile: `${trace}-${o.engine}.ndjson` } : {});
  const logFile = join(workDir, `${o.engine}.log`);
  try {
    const run: EngineRunOptions = {
      esUrl: proxy.url,
      readUrl: o.esUrl,
      rulesDir: o.rulesDir,
      writebackIndex,
      start: '',
      end: '',
      workDir,
      runEveryMinutes: RUN_EVERY_MS / MIN,
      bufferTimeMinutes: 15,
    };
    // ElastAlert 2's own default misfire_grace_time (5 s): dropped runs are part of what is measured
    const steadyConfig = { misfire_grace_time: undefined };
    const config = join(workDir, 'config.yaml');
    writeConfig(config, run, steadyConfig);
    let cmd: string;
    let argsFor: (configFile: string) => string[];
    let version: string;
    if (o.engine === 'ea2') {
      const ea2 = ensureEa2();
      const setup = join(workDir, 'create-index.yaml');
      writeConfig(setup, { ...run, esUrl: o.esUrl }, steadyConfig);
      const created = spawnSync(ea2.createIndex, ['--config', setup], {
        cwd: workDir,
        env: engineEnv(),
        encoding: 'utf8',
      });
      if (created.status !== 0) throw new Error(`elastalert-create-index failed: ${created.stderr}`);
      cmd = ea2.elastalert;
      argsFor = (c) => ['--config', c, '--verbose', '--pin_rules'];
      version = `${ea2.version} (Python ${ea2.pythonVersion})`;
    } else {
      cmd = process.execPath;
      argsFor = (c) => [
        ...esalertStart(o.esalertDir).flags,
        ...o.extraFlags,
        o.esalertMain,
        'run',
        '--config',
        c,
        '--verbose',
        '--pin-rules',
      ];
      version = o.esalertVersion;
    }
    const env = o.engine === 'esalert' ? esalertStart(o.esalertDir).env : engineEnv();
    if (o.restartAfterMs > 0) {
      // the first process: straight to Elasticsearch (its requests are not counted), then SIGINT
      const firstConfig = join(workDir, 'config-first.yaml');
      writeConfig(firstConfig, { ...run, esUrl: o.esUrl }, steadyConfig);
      const firstLog = join(workDir, `${o.engine}-first.log`);
      log(`${o.engine}: first process, ${o.restartAfterMs / MIN} min`);
      const first = await runMeasured(cmd, argsFor(firstConfig), {
        cwd: workDir,
        env,
        logFile: firstLog,
        stopAfterMs: o.restartAfterMs,
      });
      if (first.wallMs < o.restartAfterMs * 0.9 && first.exitCode !== 0)
        throw new Error(`${o.engine}'s first process exited with ${first.exitCode}; see ${firstLog}`);
    }
    const args = argsFor(config);
    log(`${o.engine}: running ${o.rules} rules for ${o.durationMs / MIN} min through ${proxy.url}`);
    const before = loadavg()[0]!;
    const countersBefore = await serverCounters(o.client);
    const sampler = startSampler(o.client);
    let measurement: Measurement;
    try {
      measurement = await runMeasured(cmd, args, {
        cwd: workDir,
        env,
        logFile,
        stopAfterMs: o.durationMs,
      });
    } finally {
      await sampler.stop();
    }
    const samples = await sampler.stop();
    // an engine that did not start (a bad flag, a broken config) is a failed run, not an idle one
    if (measurement.wallMs < o.durationMs * 0.9 && measurement.exitCode !== 0) {
      await feeder.stop();
      throw new Error(`${o.engine} exited with ${measurement.exitCode} before the run's end; see ${logFile}`);
    }
    const after = loadavg()[0]!;
    const server = serverUse(countersBefore, await serverCounters(o.client));
    const requests = proxy.counts();
    const feederStats = await feeder.stop();
    await o.client.indices.refresh({ index: `${writebackIndex}*`, ignore_unavailable: true });
    const allStatus = (await readAll(o.client, `${writebackIndex}_status`)).map((d): StatusDoc => ({
      rule: String(d.rule_name),
      endtime: Date.parse(String(d.endtime)),
      writtenAt: Date.parse(String(d['@timestamp'])),
      timeTakenS: Number(d.time_taken ?? 0),
    }));
    // with a restart, the measured process's runs; each rule's last run before it apart
    const since = o.restartAfterMs > 0 ? measurement.startedAt : -Infinity;
    const status = allStatus.filter((s) => s.writtenAt >= since);
    const lastBefore = new Map<string, StatusDoc>();
    for (const s of allStatus)
      if (s.writtenAt < since && s.endtime > (lastBefore.get(s.rule)?.endtime ?? -Infinity))
        lastBefore.set(s.rule, s);
    const alerts = (await readAll(o.client, writebackIndex)).filter(
      (d) => !(Date.parse(String(d['@timestamp'] ?? d.alert_time)) < since),
    ).length;
    const text = readFileSync(logFile, 'utf8');
    const missed = runsMissedInLog(o.engine, text);
    const errors = [
      ...(await readAll(o.client, `${writebackIndex}_error`)).map((d) => String(d.message)),
      ...(o.engine === 'ea2' ? ea2LogErrors(text) : esalertLogErrors(text)),
    ];
    return {
      engine: o.engine,
      version,
      rules: o.rules,
      measurement,
      requests,
      feeder: feederStats,
      loadAverage: { before, after },
      server,
      samples,
      status,
      ...(o.restartAfterMs > 0 ? { resumedFrom: [...lastBefore.values()] } : {}),
      alerts,
      errors,
      skippedInLog: missed.skipped,
      droppedInLog: missed.dropped,
      logFile,
    };
  } finally {
    await feeder.stop();
    await proxy.close();
  }
}

/** A counter's value at `t`, interpolated between the samples around it (undefined outside them). */
function sampledAt(samples: ServerSample[], t: number, get: (s: ServerSample) => number): number | undefined {
  const i = samples.findIndex((s) => s.at >= t);
  if (i < 0) return undefined;
  const b = samples[i]!;
  if (i === 0) return b.at === t ? get(b) : undefined;
  const a = samples[i - 1]!;
  return get(a) + ((get(b) - get(a)) * (t - a.at)) / (b.at - a.at);
}

export interface CpuSlice {
  /** Elasticsearch's CPU, the bench's (feeder, proxy) and the rest of the machine's busy time (the engine and whatever else ran), each as a share of one core. */
  es: number;
  bench: number;
  rest: number;
  /** Busy share of all cores. */
  machine: number | undefined;
}

/** What Elasticsearch, the bench and the rest used between two instants. */
function cpuBetween(samples: ServerSample[], from: number, to: number): CpuSlice | undefined {
  const d = (get: (s: ServerSample) => number) => {
    const a = sampledAt(samples, from, get);
    const b = sampledAt(samples, to, get);
    return a === undefined || b === undefined ? undefined : b - a;
  };
  const es = d((s) => s.counters.cpuMs);
  const bench = d((s) => s.benchCpuMs);
  if (es === undefined || bench === undefined || to <= from) return undefined;
  const busy = d((s) => s.counters.machine?.busy ?? 0);
  const total = d((s) => s.counters.machine?.total ?? 0);
  const machine = busy !== undefined && total ? busy / total : undefined;
  const ms = to - from;
  const cores = availableParallelism();
  return {
    es: es / ms,
    bench: bench / ms,
    rest: machine === undefined ? 0 : Math.max(0, (machine * cores * ms - es - bench) / ms),
    machine,
  };
}

function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** What the report shows of one engine's steady run. */
export function summarize(r: SteadyRun) {
  const startedAt = r.measurement.startedAt;
  const stoppedAt = startedAt + r.measurement.wallMs;
  const minutes = r.measurement.wallMs / MIN;
  const byRule = new Map<string, StatusDoc[]>();
  for (const s of r.status) (byRule.get(s.rule) ?? byRule.set(s.rule, []).get(s.rule)!).push(s);
  // after a restart, a rule's first interval runs from its last run before the restart
  const before = new Map((r.resumedFrom ?? []).map((s) => [s.rule, s]));
  const lags = r.status.map((s) => (s.writtenAt - s.endtime) / 1000);
  const intervals: number[] = [];
  let late = 0;
  let missedSlots = 0;
  const behind: number[] = [];
  for (const runs of byRule.values()) {
    runs.sort((a, b) => a.endtime - b.endtime);
    const prior = before.get(runs[0]!.rule);
    if (prior) runs.unshift(prior);
    for (let i = 1; i < runs.length; i++) {
      const gap = runs[i]!.endtime - runs[i - 1]!.endtime;
      intervals.push(gap / 1000);
      if (gap > 1.5 * RUN_EVERY_MS) late++;
      missedSlots += Math.max(0, Math.round(gap / RUN_EVERY_MS) - 1);
    }
    behind.push((stoppedAt - runs.at(-1)!.endtime) / 1000);
  }
  const neverRan = r.rules - byRule.size;
  for (let i = 0; i < neverRan; i++) behind.push((stoppedAt - startedAt) / 1000);
  const firstRun = r.status.length > 0 ? Math.min(...r.status.map((s) => s.writtenAt)) : undefined;
  // settled: the runs from SETTLE_MS after the first run was written on, once the first runs
  // (each reading its whole buffer_time, nothing processed before) and the queue they built are past
  const settleAt = firstRun !== undefined ? firstRun + SETTLE_MS : undefined;
  const settled =
    settleAt !== undefined && settleAt < stoppedAt ? r.status.filter((s) => s.endtime >= settleAt) : [];
  const settledLags = settled.map((s) => (s.writtenAt - s.endtime) / 1000);
  let settledLate = 0;
  if (settleAt !== undefined) {
    for (const runs of byRule.values()) {
      for (let i = 1; i < runs.length; i++) {
        if (runs[i]!.endtime >= settleAt && runs[i]!.endtime - runs[i - 1]!.endtime > 1.5 * RUN_EVERY_MS)
          settledLate++;
      }
    }
  }
  const settledMinutes = settleAt !== undefined ? Math.max(0, stoppedAt - settleAt) / MIN : 0;
  // the runs by the minute (after the first run written) their window ended in
  const byMinute: { runs: number; p50: number | undefined; p99: number | undefined }[] = [];
  if (firstRun !== undefined) {
    const lagsByMinute: number[][] = [];
    for (const st of r.status) {
      const i = Math.max(0, Math.floor((st.endtime - firstRun) / MIN));
      (lagsByMinute[i] ??= []).push((st.writtenAt - st.endtime) / 1000);
    }
    for (let i = 0; i < lagsByMinute.length; i++) {
      const l = lagsByMinute[i] ?? [];
      byMinute.push({ runs: l.length, p50: percentile(l, 50), p99: percentile(l, 99) });
    }
  }
  // CPU over the same minutes, and from the start to the first run written
  const cpuByMinute: (CpuSlice | undefined)[] = [];
  let cpuBeforeFirstRun: CpuSlice | undefined;
  if (firstRun !== undefined && r.samples && r.samples.length > 1) {
    cpuBeforeFirstRun = cpuBetween(r.samples, startedAt, firstRun);
    for (let t = firstRun; t < stoppedAt; t += MIN)
      cpuByMinute.push(cpuBetween(r.samples, t, Math.min(stoppedAt, t + MIN)));
  }
  return {
    minutes,
    cpuByMinute,
    cpuBeforeFirstRun,
    runs: r.status.length,
    runsPerRuleMinute: r.status.length / r.rules / minutes,
    firstRunAfterS: firstRun !== undefined ? (firstRun - startedAt) / 1000 : undefined,
    rulesRan: byRule.size,
    neverRan,
    lag: { p50: percentile(lags, 50), p99: percentile(lags, 99), max: percentile(lags, 100) },
    settled: {
      minutes: settledMinutes,
      runs: settled.length,
      runsPerRuleMinute: settledMinutes > 0 ? settled.length / r.rules / settledMinutes : undefined,
      lag: {
        p50: percentile(settledLags, 50),
        p99: percentile(settledLags, 99),
        max: percentile(settledLags, 100),
      },
      late: settledLate,
    },
    byMinute,
    interval: {
      p50: percentile(intervals, 50),
      p99: percentile(intervals, 99),
      max: percentile(intervals, 100),
    },
    late,
    missedSlots,
    behind: { p50: percentile(behind, 50), max: percentile(behind, 100) },
    timeTaken: {
      p50: percentile(
        r.status.map((s) => s.timeTakenS),
        50,
      ),
      p99: percentile(
        r.status.map((s) => s.timeTakenS),
        99,
      ),
    },
    requestsPerMinute: r.requests.total / minutes,
  };
}

const f1 = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(1));
const f2 = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(2));

export function renderSteadyReport(
  setup: {
    rules: number;
    rate: number;
    historyMinutes: number;
    minutes: number;
    esVersion: string;
    workDir: string;
    /** --restart-after (absent or 0: a first start). */
    restartAfterMinutes?: number;
  },
  runs: SteadyRun[],
): string {
  const sums = runs.map(summarize);
  const row = (label: string, f: (r: SteadyRun, s: ReturnType<typeof summarize>) => string) =>
    `| ${label} | ${runs.map((r, i) => f(r, sums[i]!)).join(' | ')} |`;
  const m = (r: SteadyRun) => r.measurement;
  return [
    `# ElastAlert 2 vs esalert in steady state: ${setup.rules} rules`,
    '',
    `- date: ${new Date().toISOString()}`,
    `- machine: ${machineInfo()}`,
    `- ${runs.map((r) => `${TITLE[r.engine]} ${r.version}`).join('; ')}; Node ${process.version}; ${setup.esVersion} (single node, 127.0.0.1)`,
    `- esalert compiled to JavaScript (as in the image) and started as the image starts it: ${describeImageNode()}`,
    `- ${setup.rules} rules (the comparison rule set's types and modes, cycled; the rules that would read most of the stream narrowed to Warning events), \`run_every\` 1 min, \`buffer_time\` 15 min, \`max_threads\` 10, \`misfire_grace_time\` default (5 s)`,
    `- events: the corpus generator's scenarios in real time, ${setup.rate} documents/s on average, @timestamp = now; the ${setup.historyMinutes} minutes before the start loaded at once; indices emptied between the engines`,
    setup.restartAfterMinutes
      ? `- a restart: each engine ran alone for ${setup.restartAfterMinutes} min straight against Elasticsearch, got SIGINT and was started again at once with the same writeback index; the figures are the second process's, for ${setup.minutes} min (then SIGINT), through its own counting proxy; a rule's first interval is the one across the restart; measurement: ${runs[0]?.measurement.method ?? ''}`
      : `- each engine ran alone for ${setup.minutes} min (then SIGINT), through its own counting proxy, with its own writeback index; measurement: ${runs[0]?.measurement.method ?? ''}`,
    "- run lag: a status document's `@timestamp` minus its `endtime` (how old the newest data a run looked at is when the run is recorded); interval: between the `endtime`s of consecutive runs of a rule (1 min when it keeps up); late: intervals over 1.5 min; missed slots: one-minute slots with no run; behind at stop: the end of the engine minus the `endtime` of each rule's last run (the whole run for a rule that never ran)",
    `- logs: ${setup.workDir}`,
    '',
    `| | ${runs.map((r) => TITLE[r.engine]).join(' | ')} |`,
    `|---|${runs.map(() => '---:').join('|')}|`,
    row('wall time (s)', (r) => (m(r).wallMs / 1000).toFixed(1)),
    row('first run written after (s)', (_, s) => f1(s.firstRunAfterS)),
    row('rule runs written', (_, s) => String(s.runs)),
    row('runs per rule per minute', (_, s) => f2(s.runsPerRuleMinute)),
    row('rules that never ran', (_, s) => String(s.neverRan)),
    row('run lag p50 / p99 / max (s)', (_, s) => `${f1(s.lag.p50)} / ${f1(s.lag.p99)} / ${f1(s.lag.max)}`),
    row(
      `settled (from ${SETTLE_MS / MIN} min after the first run): minutes, runs, runs per rule per minute`,
      (_, s) => `${f1(s.settled.minutes)}, ${s.settled.runs}, ${f2(s.settled.runsPerRuleMinute)}`,
    ),
    row(
      'settled: run lag p50 / p99 / max (s)',
      (_, s) => `${f1(s.settled.lag.p50)} / ${f1(s.settled.lag.p99)} / ${f1(s.settled.lag.max)}`,
    ),
    row('settled: late runs (interval > 90 s)', (_, s) => String(s.settled.late)),
    row(
      'interval between runs p50 / p99 / max (s)',
      (_, s) => `${f1(s.interval.p50)} / ${f1(s.interval.p99)} / ${f1(s.interval.max)}`,
    ),
    row('late runs (interval > 90 s)', (_, s) => String(s.late)),
    row('missed one-minute slots', (_, s) => String(s.missedSlots)),
    row('runs skipped / dropped (log)', (r) => `${r.skippedInLog} / ${r.droppedInLog}`),
    row('behind at stop p50 / max (s)', (_, s) => `${f1(s.behind.p50)} / ${f1(s.behind.max)}`),
    row('rule time_taken p50 / p99 (s)', (_, s) => `${f2(s.timeTaken.p50)} / ${f2(s.timeTaken.p99)}`),
    row(
      'CPU time, user + sys (s)',
      (r) =>
        `${(m(r).cpuMs / 1000).toFixed(1)} (${(m(r).userMs / 1000).toFixed(1)} + ${(m(r).sysMs / 1000).toFixed(1)})`,
    ),
    row('CPU, share of one core', (r) => `${((100 * m(r).cpuMs) / m(r).wallMs).toFixed(0)}%`),
    row('peak RSS (MiB)', (r) => (m(r).peakRssKb / 1024).toFixed(0)),
    row(
      'Elasticsearch CPU (s), share of one core',
      (r) =>
        `${(r.server.esCpuMs / 1000).toFixed(1)}, ${((100 * r.server.esCpuMs) / m(r).wallMs).toFixed(0)}%`,
    ),
    row(
      'Elasticsearch search time, query + fetch (s)',
      (r) => `${(r.server.esQueryMs / 1000).toFixed(1)} + ${(r.server.esFetchMs / 1000).toFixed(1)}`,
    ),
    row('Elasticsearch shard searches per minute', (r, s) => (r.server.esQueries / s.minutes).toFixed(0)),
    row('machine busy (all cores)', (r) =>
      r.server.machineBusy === undefined ? '-' : `${(100 * r.server.machineBusy).toFixed(0)}%`,
    ),
    row('ES requests per minute', (_, s) => s.requestsPerMinute.toFixed(0)),
    ...REQUEST_KINDS.map((k) =>
      row(`&nbsp;&nbsp;${k}`, (r, s) => ((r.requests.byKind[k] ?? 0) / s.minutes).toFixed(0)),
    ),
    row('alerts written', (r) => String(r.alerts)),
    row('errors', (r) => String(r.errors.length)),
    row('events preloaded / fed during the run', (r) => `${r.feeder.preloaded} / ${r.feeder.fed}`),
    row(
      'machine load average (1 min), start / end',
      (r) => `${r.loadAverage.before.toFixed(2)} / ${r.loadAverage.after.toFixed(2)}`,
    ),
    '',
    '## Run lag by minute',
    '',
    'Runs by the minute after the first run written in which their window ended: runs, run lag p50 / p99 (s).',
    '',
    `| minute | ${runs.map((r) => TITLE[r.engine]).join(' | ')} |`,
    `|---:|${runs.map(() => '---:').join('|')}|`,
    ...Array.from(
      { length: Math.max(0, ...sums.map((x) => x.byMinute.length)) },
      (_, i) =>
        [
          `| ${i + 1}`,
          ...sums.map((x) => {
            const b = x.byMinute[i];
            return b ? `${b.runs}: ${f1(b.p50)} / ${f1(b.p99)}` : '-';
          }),
        ].join(' | ') + ' |',
    ),
    '',
    '## CPU by minute',
    '',
    'The same minutes (after the first run written), and the start before it: Elasticsearch, the rest of the machine (the engine, with anything else that ran) and the bench (feeder and proxy), as shares of one core, sampled every 5 s; then how busy all cores were.',
    '',
    `| minute | ${runs.map((r) => TITLE[r.engine]).join(' | ')} |`,
    `|---:|${runs.map(() => '---:').join('|')}|`,
    ...Array.from(
      { length: 1 + Math.max(0, ...sums.map((x) => x.cpuByMinute.length)) },
      (_, i) =>
        [
          `| ${i === 0 ? 'start' : i}`,
          ...sums.map((x) => {
            const c = i === 0 ? x.cpuBeforeFirstRun : x.cpuByMinute[i - 1];
            if (!c) return '-';
            const pct = (v: number) => `${(100 * v).toFixed(0)}%`;
            return `ES ${pct(c.es)}, rest ${pct(c.rest)}, bench ${pct(c.bench)}; machine ${c.machine === undefined ? '-' : pct(c.machine)}`;
          }),
        ].join(' | ') + ' |',
    ),
    '',
    '## Errors',
    '',
    ...runs.flatMap((r) => [
      `${TITLE[r.engine]}:`,
      ...(r.errors.length === 0
        ? ['none']
        : [
            ...r.errors.slice(0, 10).map((e) => `- ${e.split('\n')[0]}`),
            ...(r.errors.length > 10 ? [`- ... ${r.errors.length - 10} more`] : []),
          ]),
      '',
    ]),
  ].join('\n');
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      rules: { type: 'string', default: '100' },
      minutes: { type: 'string', default: '10' },
      rate: { type: 'string', default: '200' },
      'history-minutes': { type: 'string', default: '15' },
      engines: { type: 'string', default: 'ea2,esalert' },
      es: { type: 'string' },
      heap: { type: 'string', default: '1024' },
      server: { type: 'string', default: 'es8' },
      'server-version': { type: 'string' },
      out: { type: 'string' },
      'esalert-ref': { type: 'string' },
      'esalert-flags': { type: 'string' },
      'restart-after': { type: 'string', default: '0' },
      render: { type: 'string' },
    },
  });
  if (args.render) {
    // the report again from a run's saved files (the report's code may have changed since)
    const dir = args.render;
    const setup = JSON.parse(readFileSync(join(dir, 'setup.json'), 'utf8')) as Parameters<
      typeof renderSteadyReport
    >[0];
    const saved = (['ea2', 'esalert'] as const)
      .map((e) => join(dir, `${e}-run.json`))
      .filter((f) => existsSync(f))
      .map((f) => JSON.parse(readFileSync(f, 'utf8')) as SteadyRun);
    const out = args.out ?? join(RESULTS, `steady-${setup.rules}.md`);
    writeFileSync(out, renderSteadyReport(setup, saved));
    process.stderr.write(`[steady] report written to ${out}\n`);
    return;
  }
  const rules = Number(args.rules);
  const minutes = Number(args.minutes);
  const rate = Number(args.rate);
  const historyMinutes = Number(args['history-minutes']);
  const restartAfterMinutes = Number(args['restart-after']);
  const engines = args.engines.split(',').map((e) => e.trim()) as EngineName[];
  if (!Number.isInteger(rules) || rules <= 0) throw new Error(`--rules must be a positive integer`);
  if (!(minutes > 0) || !(rate > 0) || !(historyMinutes >= 0) || !(restartAfterMinutes >= 0))
    throw new Error('bad --minutes/--rate/--history-minutes/--restart-after');
  for (const e of engines) if (e !== 'ea2' && e !== 'esalert') throw new Error(`unknown engine ${e}`);

  let es: RunningEs | undefined;
  try {
    let url = args.es;
    if (!url) {
      es = await startServer(args.server, args['server-version'], { heapMb: Number(args.heap) });
      url = es.url;
    }
    const esVersion = await runningServerName(url);
    const conn = await connectElasticsearch({ nodes: [url], requestTimeoutMs: 120_000 });
    const workDir = mkdtempSync(join(tmpdir(), `esalert-steady-${rules}-`));
    const rulesDir = join(workDir, 'rules');
    writeRules(rulesDir, steadyRules(rules));
    const ref = args['esalert-ref'];
    const source = ref ? exportCommit(ref, join(workDir, 'esalert-src')) : workingTree();
    const esalertMain = buildEsalert(source.dir, join(workDir, 'esalert-dist'));
    // dist/cli/main.js loads ../../bin/check-node.cjs, as the image's /app/bin has it
    mkdirSync(join(workDir, 'bin'), { recursive: true });
    copyFileSync(join(source.dir, 'bin', 'check-node.cjs'), join(workDir, 'bin', 'check-node.cjs'));
    const setup = { rules, rate, historyMinutes, minutes, esVersion, workDir, restartAfterMinutes };
    writeFileSync(join(workDir, 'setup.json'), JSON.stringify(setup));
    const runs: SteadyRun[] = [];
    try {
      for (const engine of engines) {
        const run = await runPhase({
          engine,
          esUrl: url,
          client: conn.client,
          rulesDir,
          rules,
          workDir,
          durationMs: minutes * MIN,
          rate,
          historyMs: historyMinutes * MIN,
          esalertDir: source.dir,
          esalertMain,
          esalertVersion: source.version,
          extraFlags: args['esalert-flags']?.split(/\s+/).filter(Boolean) ?? [],
          restartAfterMs: restartAfterMinutes * MIN,
        });
        writeFileSync(join(workDir, `${engine}-run.json`), JSON.stringify(run));
        runs.push(run);
      }
    } finally {
      await conn.close();
    }
    const report = renderSteadyReport(setup, runs);
    const out = args.out ?? join(RESULTS, `steady-${rules}.md`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, report);
    console.log(report);
    log(`report written to ${out}`);
  } finally {
    await es?.stop();
  }
}

if (import.meta.main) await main();
