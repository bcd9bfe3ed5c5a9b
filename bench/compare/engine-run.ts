/**
 * What both engine runners share: the ElastAlert 2 config.yaml they are given, and reading back what
 * they wrote to their (ElastAlert 2-compatible) writeback indices.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { connectElasticsearch } from '../../src/query/es-client.ts';
import type { RequestCounts } from './es-proxy.ts';
import type { Measurement } from './measure.ts';

export interface EngineRunOptions {
  /** Where the engine sends its requests (the counting proxy, usually). */
  esUrl: string;
  /** Where the writeback indices are read back from (default: esUrl); reads are not the engine's. */
  readUrl?: string;
  rulesDir: string;
  writebackIndex: string;
  start: string;
  end: string;
  /** config.yaml, logs and anything else of this run go here. */
  workDir: string;
  runEveryMinutes?: number;
  bufferTimeMinutes?: number;
  /** Stop the engine (SIGINT) after this many ms; the rules it had not finished have no status document. */
  limitMs?: number;
}

/** One document of the `<writeback_index>` index. */
export interface WrittenAlert {
  ruleName: string;
  alertTime: string;
  alertSent: boolean;
  matchBody: Record<string, unknown>;
}

/** Totals of a rule's `<writeback_index>_status` documents (one per run of the rule). */
export interface RuleStatus {
  runs: number;
  hits: number;
  matches: number;
  timeTakenS: number;
  /** The newest status document's @timestamp (epoch ms): when the rule's last run ended. */
  lastWrittenAt: number;
}

export interface EngineRun {
  engine: string;
  version: string;
  measurement: Measurement;
  /** The run was stopped at EngineRunOptions.limitMs instead of finishing. */
  stopped?: boolean;
  requests?: RequestCounts;
  /** The machine's 1-minute load average when the run started and when it ended (other work shares it). */
  loadAverage?: { before: number; after: number };
  alerts: WrittenAlert[];
  status: Record<string, RuleStatus>;
  errors: string[];
  logFile: string;
}

/** The environment without ES_* variables, which both engines would prefer over config.yaml. */
export function engineEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ES_')));
}

/**
 * ElastAlert 2 drops a rule run that waited in its thread pool (max_threads) longer than
 * `misfire_grace_time` (default 5 s); the next try is one run_every later, after a backfill's
 * `elastalert --end` has exited. A backfill with more slow rules than threads would then leave
 * rules out, so backfills allow an hour (esalert never drops a queued run and ignores the option).
 */
export const BACKFILL_MISFIRE_GRACE_S = 3600;

/** The ElastAlert 2 global config both engines read (esalert takes config.yaml unchanged). */
export function writeConfig(file: string, o: EngineRunOptions, extra: Record<string, unknown> = {}): void {
  const url = new URL(o.esUrl);
  const config = {
    rules_folder: o.rulesDir,
    scan_subdirectories: false,
    run_every: { minutes: o.runEveryMinutes ?? 1 },
    buffer_time: { minutes: o.bufferTimeMinutes ?? 15 },
    es_host: url.hostname,
    es_port: Number(url.port || 80),
    writeback_index: o.writebackIndex,
    alert_time_limit: { days: 2 },
    old_query_limit: { weeks: 1 },
    misfire_grace_time: BACKFILL_MISFIRE_GRACE_S,
    ...extra,
  };
  writeFileSync(file, stringify(config));
}

/** Alerts, per-rule status totals and error messages the engine wrote to its writeback indices. */
export async function readWriteback(
  esUrl: string,
  writebackIndex: string,
): Promise<Pick<EngineRun, 'alerts' | 'status' | 'errors'>> {
  const conn = await connectElasticsearch({ nodes: [esUrl], requestTimeoutMs: 60_000 });
  const { client } = conn;
  try {
    await client.indices.refresh({ index: `${writebackIndex}*`, ignore_unavailable: true });
    const read = async (index: string) => {
      const out: Record<string, unknown>[] = [];
      if (!(await client.indices.exists({ index }))) return out;
      const docs = client.helpers.scrollDocuments<Record<string, unknown>>({
        index,
        size: 1000,
        query: { match_all: {} },
      });
      for await (const d of docs) out.push(d);
      return out;
    };
    const alerts = (await read(writebackIndex)).map((d): WrittenAlert => ({
      ruleName: String(d.rule_name),
      alertTime: String(d.alert_time),
      alertSent: d.alert_sent === true,
      matchBody: (d.match_body ?? {}) as Record<string, unknown>,
    }));
    const status: Record<string, RuleStatus> = {};
    for (const d of await read(`${writebackIndex}_status`)) {
      const s = (status[String(d.rule_name)] ??= {
        runs: 0,
        hits: 0,
        matches: 0,
        timeTakenS: 0,
        lastWrittenAt: 0,
      });
      s.runs++;
      s.lastWrittenAt = Math.max(s.lastWrittenAt, Date.parse(String(d['@timestamp'])) || 0);
      s.hits += Number(d.hits ?? 0);
      s.matches += Number(d.matches ?? 0);
      s.timeTakenS += Number(d.time_taken ?? 0);
    }
    const errors = (await read(`${writebackIndex}_error`)).map((d) => String(d.message));
    return { alerts, status, errors };
  } finally {
    await conn.close();
  }
}

/** EngineRunOptions from the command line of run-ea2.ts / run-esalert.ts. */
export function optionsFromArgv(argv: string[]): EngineRunOptions {
  const names = ['es', 'read', 'rules', 'writeback', 'start', 'end', 'work', 'run-every', 'buffer-time'];
  const { values: o } = parseArgs({
    args: argv,
    options: Object.fromEntries(names.map((n) => [n, { type: 'string' as const }])),
  });
  const need = (n: string): string => {
    const v = o[n];
    if (typeof v !== 'string') throw new Error(`missing --${n}; usage: ${RUNNER_USAGE}`);
    return v;
  };
  return {
    esUrl: need('es'),
    ...(typeof o.read === 'string' ? { readUrl: o.read } : {}),
    rulesDir: need('rules'),
    writebackIndex: need('writeback'),
    start: need('start'),
    end: need('end'),
    workDir: need('work'),
    ...(typeof o['run-every'] === 'string' ? { runEveryMinutes: Number(o['run-every']) } : {}),
    ...(typeof o['buffer-time'] === 'string' ? { bufferTimeMinutes: Number(o['buffer-time']) } : {}),
  };
}

export const RUNNER_USAGE =
  '--es <url> --rules <dir> --writeback <index> --start <iso> --end <iso> --work <dir> [--read <url>] [--run-every <min>] [--buffer-time <min>]';
