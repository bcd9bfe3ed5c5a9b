/** The markdown report of a comparison: setup, per-engine cost, per-rule results, alert differences. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { type AlertDiff, formatDiff } from './diff-alerts.ts';
import { BACKFILL_MISFIRE_GRACE_S, type EngineRun } from './engine-run.ts';
import { REQUEST_KINDS } from './es-proxy.ts';
import type { RuleFile } from './rules.ts';
import { describeImageNode } from './esalert-build.ts';

export interface ComparisonSetup {
  docs: number;
  window: { start: string; end: string };
  /** The server, e.g. "Elasticsearch 8.19.21" or "OpenSearch 2.19.6". */
  esVersion: string;
  pythonVersion: string;
  runEveryMinutes: number;
  bufferTimeMinutes: number;
  workDir: string;
  /** ElastAlert 2 was stopped before it finished: after how long, and the rules without a status document. */
  ea2Stopped?: { afterMinutes: number; unfinished: string[] };
  /** ElastAlert 2's run was read from this file (an earlier run), not run again. */
  ea2Recorded?: string;
}

export function machineInfo(): string {
  let model = cpus()[0]?.model ?? 'unknown CPU';
  try {
    model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    // not Linux
  }
  const kernel = spawnSync('uname', ['-sr'], { encoding: 'utf8' }).stdout.trim();
  return `${model}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM${kernel ? `, ${kernel}` : ''}`;
}

const s = (ms: number) => (ms / 1000).toFixed(2);
const mib = (kb: number) => (kb / 1024).toFixed(0);

function engineTable(ea2: EngineRun, esa: EngineRun): string[] {
  const rows: [string, (r: EngineRun) => string][] = [
    ['wall time (s)', (r) => s(r.measurement.wallMs)],
    ['start to last rule run written (s)', (r) => lastRuleDone(r)],
    [
      'CPU time, user + sys (s)',
      (r) => `${s(r.measurement.cpuMs)} (${s(r.measurement.userMs)} + ${s(r.measurement.sysMs)})`,
    ],
    ['peak RSS (MiB)', (r) => mib(r.measurement.peakRssKb)],
    ['rule time_taken, sum / max (s)', (r) => ruleTimes(r)],
    [
      'machine load average (1 min), start / end',
      (r) => (r.loadAverage ? `${r.loadAverage.before.toFixed(2)} / ${r.loadAverage.after.toFixed(2)}` : ''),
    ],
    ['ES requests', (r) => String(r.requests?.total ?? '')],
    ...REQUEST_KINDS.map((k): [string, (r: EngineRun) => string] => [
      `&nbsp;&nbsp;${k}`,
      (r) => String(r.requests?.byKind[k] ?? ''),
    ]),
    ['alerts written', (r) => String(r.alerts.length)],
    ['errors', (r) => String(r.errors.length)],
  ];
  return [
    `| | ElastAlert 2 | esalert |`,
    '|---|---:|---:|',
    ...rows.map(([label, f]) => `| ${label} | ${f(ea2)} | ${f(esa)} |`),
  ];
}

/** From the process start to the newest status document: the work, without ElastAlert 2's closing sleep. */
function lastRuleDone(r: EngineRun): string {
  const last = Math.max(0, ...Object.values(r.status).map((x) => x.lastWrittenAt));
  return last > 0 ? s(last - r.measurement.startedAt) : '';
}

function ruleTimes(r: EngineRun): string {
  const times = Object.values(r.status).map((x) => x.timeTakenS);
  if (times.length === 0) return '';
  const sum = times.reduce((a, b) => a + b, 0);
  return `${sum.toFixed(2)} / ${Math.max(...times).toFixed(2)}`;
}

function ruleTable(rules: RuleFile[], ea2: EngineRun, esa: EngineRun): string[] {
  const alerts = (r: EngineRun, name: string) => r.alerts.filter((a) => a.ruleName === name).length;
  const pair = (a: number | undefined, b: number | undefined) =>
    a === b ? `${a ?? '-'} / ${b ?? '-'}` : `**${a ?? '-'} / ${b ?? '-'}**`;
  return [
    '| rule | type | runs | hits | matches | alerts |',
    '|---|---|---:|---:|---:|---:|',
    ...rules.map((rule) => {
      const [x, y] = [ea2.status[rule.name], esa.status[rule.name]];
      return `| ${rule.name} | ${rule.type} | ${pair(x?.runs, y?.runs)} | ${pair(x?.hits, y?.hits)} | ${pair(x?.matches, y?.matches)} | ${pair(alerts(ea2, rule.name), alerts(esa, rule.name))} |`;
    }),
  ];
}

function endpointTable(ea2: EngineRun, esa: EngineRun): string[] {
  const names = [
    ...new Set([
      ...Object.keys(ea2.requests?.byEndpoint ?? {}),
      ...Object.keys(esa.requests?.byEndpoint ?? {}),
    ]),
  ].sort();
  return [
    '| request | ElastAlert 2 | esalert |',
    '|---|---:|---:|',
    ...names.map(
      (n) => `| \`${n}\` | ${ea2.requests?.byEndpoint[n] ?? 0} | ${esa.requests?.byEndpoint[n] ?? 0} |`,
    ),
  ];
}

export function renderReport(
  setup: ComparisonSetup,
  rules: RuleFile[],
  ea2: EngineRun,
  esa: EngineRun,
  diff: AlertDiff,
): string {
  const errors = (r: EngineRun) =>
    r.errors.length === 0 ? ['none'] : r.errors.slice(0, 20).map((e) => `- ${e.split('\n')[0]}`);
  return [
    `# ElastAlert 2 vs esalert: ${setup.docs} documents`,
    '',
    `- date: ${new Date().toISOString()}`,
    `- machine: ${machineInfo()}`,
    `- ElastAlert 2 ${ea2.version}; esalert ${esa.version}; Node ${process.version}; Python ${setup.pythonVersion}; ${setup.esVersion} (single node, 127.0.0.1)`,
    `- esalert compiled to JavaScript (as in the image) and started as the image starts it: ${describeImageNode()}`,
    `- corpus: ${setup.docs} eventrouter documents, window ${setup.window.start} .. ${setup.window.end}`,
    `- ${rules.length} rules, \`run_every\` ${setup.runEveryMinutes} min, \`buffer_time\` ${setup.bufferTimeMinutes} min, \`max_threads\` 10 (the default), \`misfire_grace_time\` ${BACKFILL_MISFIRE_GRACE_S} s (else ElastAlert 2 drops the runs of rules that waited more than 5 s for a thread and exits before their next try); each engine ran once with \`--start/--end\` over the window (a backfill), through its own counting proxy, with its own writeback index`,
    `- measurement: ${ea2.measurement.method}; ElastAlert 2's wall time includes the \`run_every\` sleep of its main loop before it exits, hence the row "start to last rule run written" (the newest \`<writeback>_status\` document); both engines run rules concurrently (ElastAlert 2 in up to 10 threads), so the sum of \`time_taken\` exceeds the elapsed time`,
    `- logs and raw runs: ${setup.workDir}`,
    ...(setup.ea2Recorded
      ? [
          `- **ElastAlert 2's figures and alerts are from an earlier run** (${setup.ea2Recorded}, started ${new Date(ea2.measurement.startedAt).toISOString()}) on the same corpus, rules and machine; only esalert ran this time`,
        ]
      : []),
    ...(setup.ea2Stopped
      ? [
          `- **ElastAlert 2 did not finish: it was stopped after ${setup.ea2Stopped.afterMinutes} min** (SIGINT), its figures are what it did until then; rules it had not finished (no status document, no alerts; left out of the alert comparison): ${setup.ea2Stopped.unfinished.join(', ') || 'none'}`,
        ]
      : []),
    '',
    '## Cost',
    '',
    ...engineTable(ea2, esa),
    '',
    '## Per rule (ElastAlert 2 / esalert; differences in bold)',
    '',
    ...ruleTable(rules, ea2, esa),
    '',
    '## Alerts compared by (rule, query_key value, match timestamp)',
    '',
    formatDiff(diff),
    '',
    '## Errors',
    '',
    'ElastAlert 2:',
    ...errors(ea2),
    '',
    'esalert:',
    ...errors(esa),
    '',
    '## Elasticsearch requests by endpoint',
    '',
    ...endpointTable(ea2, esa),
    '',
  ].join('\n');
}
