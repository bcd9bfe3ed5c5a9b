/**
 * The composition root of `esalert run`: config, Elasticsearch connections, writeback store,
 * rules, alert pipeline and scheduler are built and wired here, and torn down here in order
 * (stop scheduling, let runs finish, send what is due, close connections).
 */
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { debugAlerter } from '../alerters/debug.ts';
import { createJinjaRenderer } from '../format/jinja.ts';
import { createAlertPipeline, type AlertPipeline } from '../alerts/pipeline.ts';
import { connectionSecrets, type EsConnectionKeys, resolveEsConnection } from '../config/es-connection.ts';
import { type GlobalConfig, loadGlobalConfig } from '../config/global-config.ts';
import type { EnvLookup } from '../config/interpolate.ts';
import { type EngineDeps, runRule } from '../engine/run-rule.ts';
import { createRuntimeRule, type RuntimeRule } from '../engine/runtime-rule.ts';
import { EsalertError, errorMessage } from '../errors/esalert-error.ts';
import { connectElasticsearch, type EsConnection } from '../query/es-client.ts';
import { createEsSearchPort } from '../query/es-search-port.ts';
import { loadDocuments, spanWindow, timeSpan } from '../query/memory/load-documents.ts';
import { createMemorySearchPort, type MemoryDocument } from '../query/memory/memory-search-port.ts';
import type { SearchPort } from '../query/search-port.ts';
import type { Rule } from '../rules/load-rule.ts';
import { loadRules, type LoadedRules } from '../rules/load-rules.ts';
import { Scheduler } from '../scheduler/scheduler.ts';
import { createEsWriteback } from '../state/es-writeback.ts';
import { createMemoryWriteback } from '../state/memory-writeback.ts';
import type { SilenceEntry, WritebackStore } from '../state/writeback.ts';
import { parseTimestamp, toIso } from '../util/time.ts';
import type { Clock } from '../model/clock.ts';
import type { SecretRegistry } from './logger.ts';
import type { Observability } from '../http/observability.ts';
import { RuleReloader } from './reloader.ts';
import { catalogs, knownRuleOptionNames } from './catalogs.ts';
import { loadToolConfig } from './tool-config.ts';
import { PAST_DATA_LIMIT_MS } from './dry-run.ts';

export { catalogs, knownRuleOptionNames };

export interface RunOptions {
  configFile: string;
  /** How long stop() lets queued alerts go out (default 30 s). */
  drainMs?: number;
  rule?: string;
  start?: string;
  end?: string;
  debug?: boolean;
  pinRules?: boolean;
  /** How often the rules folders are checked for changes (at most run_every; default 10 s). */
  reloadEveryMs?: number;
  /**
   * Evaluate over these documents (or this file of them) instead of Elasticsearch: the
   * writeback index is kept in memory, and the run covers the documents' time span unless
   * --start/--end say otherwise, then exits.
   */
  data?: string | readonly MemoryDocument[];
  /** Progress of backfills (--end or --data), for a terminal. */
  progress?: {
    segment(rule: string, p: { segmentsDone: number; segmentsTotal: number; hits: number }): void;
    ruleRun(rule: string, matches: number): void;
  };
}

export interface AppDeps {
  env: EnvLookup;
  clock: Clock;
  logger: Logger;
  secrets: SecretRegistry;
  /** Metrics and status for the HTTP endpoints. */
  observability?: Observability;
}

export interface App {
  config: GlobalConfig;
  rules: Map<string, RuntimeRule>;
  loaded: LoadedRules;
  scheduler: Scheduler;
  pipeline: AlertPipeline;
  /** Resolves when a backfill (--end) finished; never for a continuous run. */
  finished: Promise<void>;
  stop(): Promise<void>;
}

/** --start/--end: ISO 8601 or NOW. */
export function parseCliTime(value: string | undefined, flag: string, clock: Clock): number | undefined {
  if (value === undefined) return undefined;
  if (value.toUpperCase() === 'NOW') return clock.now();
  const t = parseTimestamp(value);
  if (t === undefined)
    throw new EsalertError(
      'CONFIG_INVALID',
      `${flag} ${value} is not a valid ISO 8601 timestamp (YYYY-MM-DDTHH:MM:SS+00:00)`,
    );
  return t;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/** Connects, retrying with backoff while Elasticsearch is unreachable (it may start after us). */
export async function connectWithRetry(
  keys: EsConnectionKeys,
  deps: AppDeps,
  signal: AbortSignal,
): Promise<EsConnection> {
  const options = resolveEsConnection(keys, deps.env);
  deps.secrets.add(...connectionSecrets(options));
  for (let attempt = 0; ; attempt++) {
    try {
      const conn = await connectElasticsearch(options, { signal });
      deps.logger.info(
        { version: conn.server.version, nodes: options.nodes.length },
        `connected to Elasticsearch ${conn.server.version}`,
      );
      return conn;
    } catch (err) {
      if (!(err instanceof EsalertError) || err.code !== 'ES_UNREACHABLE' || signal.aborted) throw err;
      const wait = Math.min(30_000, 1000 * 2 ** attempt);
      deps.logger.warn({ err: err.message, retryInMs: wait }, 'Elasticsearch is unreachable; retrying');
      await sleep(wait, signal);
      if (signal.aborted) throw err;
    }
  }
}

/** A store that reads but never writes (--debug, as ElastAlert 2 skips writeback in debug mode). */
function readOnly(store: WritebackStore): WritebackStore {
  return {
    ...store,
    ensureIndices: async () => {},
    writeStatus: async () => {},
    writeSilence: async () => {},
    writeError: async () => {},
    createAlert: async () => 'created',
    updateAlert: async () => {},
    deleteAlert: async () => {},
  };
}

const ES_KEYS = [
  'es_host',
  'es_port',
  'es_hosts',
  'use_ssl',
  'verify_certs',
  'ca_certs',
  'client_cert',
  'client_key',
  'es_username',
  'es_password',
  'es_api_key',
  'es_bearer',
  'es_url_prefix',
  'es_conn_timeout',
] as const;

function connectionKeyOf(raw: Record<string, unknown>): { id: string; keys: EsConnectionKeys } {
  const keys: Record<string, unknown> = {};
  for (const k of ES_KEYS) if (raw[k] !== undefined) keys[k] = raw[k];
  return { id: JSON.stringify(keys), keys: keys as EsConnectionKeys };
}

export async function startApp(opts: RunOptions, deps: AppDeps): Promise<App> {
  const { logger } = deps;
  const obs = deps.observability;
  // Offline runs end when the data does: pending aggregates are then released by moving this
  // clock past their alert time (see `finished`).
  let shift = 0;
  const clock: Clock =
    opts.data === undefined
      ? deps.clock
      : { now: () => deps.clock.now() + shift, setTimer: (fn, ms) => deps.clock.setTimer(fn, ms) };
  const cats = catalogs(opts.configFile);
  const config =
    opts.data !== undefined
      ? loadToolConfig(existsSync(opts.configFile) ? opts.configFile : undefined, deps.env)
      : loadGlobalConfig(opts.configFile, { env: deps.env, knownRuleOptions: knownRuleOptionNames(cats) });
  for (const w of config.warnings) logger.warn(w);
  let startAt = parseCliTime(opts.start, '--start', clock);
  let endAt = parseCliTime(opts.end, '--end', clock);
  let offline: SearchPort | undefined;
  if (opts.data !== undefined) {
    const docs = typeof opts.data === 'string' ? await loadDocuments(opts.data) : opts.data;
    offline = createMemorySearchPort(docs);
    // the global timestamp_field, default @timestamp
    const field = config.raw.timestamp_field;
    const span = timeSpan(docs, typeof field === 'string' && field ? field : '@timestamp');
    const window = span ? spanWindow(span) : undefined;
    startAt ??= window?.start ?? clock.now() - config.bufferTimeMs;
    endAt ??= window?.end ?? clock.now();
    logger.info(
      { documents: docs.length, from: toIso(startAt), to: toIso(endAt) },
      'evaluating over a file of documents, without Elasticsearch',
    );
  }

  const lifetime = new AbortController();
  const connections = new Map<string, Promise<EsConnection>>();
  const connect = (raw: Record<string, unknown>) => {
    const { id, keys } = connectionKeyOf(raw);
    let c = connections.get(id);
    if (!c) {
      c = connectWithRetry(keys, deps, lifetime.signal);
      connections.set(id, c);
    }
    return c;
  };
  const memory = offline ? createMemoryWriteback() : undefined;
  const mainConn = offline ? undefined : await connect(config.raw);
  if (obs) {
    obs.offline = Boolean(offline);
    if (mainConn) {
      obs.esCheck = async () => {
        const up = await mainConn.client.ping({}, { requestTimeout: 3000, maxRetries: 0 });
        if (!up) throw new Error('ping failed');
      };
    }
  }
  const esWriteback = memory ? memory : createEsWriteback(mainConn!.client, config.writebackIndex);
  const writeback = opts.debug ? readOnly(esWriteback) : esWriteback;
  if (!opts.debug) await writeback.ensureIndices();

  const loaded = loadRules({ global: config, env: deps.env, catalogs: cats, logger }, opts.rule);
  for (const { error } of loaded.errors) logger.error({ code: error.code }, error.message);
  if (loaded.errors.length > 0 && config.raw.skip_invalid === false) {
    throw new EsalertError(
      'RULE_INVALID',
      `${loaded.errors.length} rule file(s) failed to load and skip_invalid is false`,
    );
  }
  for (const r of loaded.rules) {
    for (const w of r.warnings) logger.warn(w);
    for (const a of r.alerters) deps.secrets.add(...a.secrets());
  }
  if (loaded.disabled.length)
    logger.info({ rules: loaded.disabled.map((r) => r.name) }, 'disabled rules (is_enabled: false)');

  const rules = new Map<string, RuntimeRule>();
  const ports = new Map<string, SearchPort>();
  const debugAlerters = new Map<string, ReturnType<typeof debugAlerter.create>[]>();
  const pipeline = createAlertPipeline({
    renderJinja: createJinjaRenderer(),
    clock,
    logger,
    writeback,
    alertTimeLimitMs: offline ? PAST_DATA_LIMIT_MS : config.alertTimeLimitMs,
    maxAggregation: config.maxAggregation,
    retry: config.alertRetry,
    noWriteback: Boolean(opts.debug),
    ...(obs
      ? {
          onSent: (rule: string, alerter: string) => obs.alertDelivered(rule, alerter),
          onFailed: (rule: string, alerter: string, reason: string) => obs.alertFailed(rule, alerter, reason),
        }
      : {}),
    ...(opts.debug
      ? {
          overrideAlerters: (rt: RuntimeRule) => {
            let a = debugAlerters.get(rt.rule.name);
            if (!a)
              debugAlerters.set(
                rt.rule.name,
                (a = [debugAlerter.create(rt.rule.raw, { logger, ruleDir: '.' })]),
              );
            return a;
          },
        }
      : {}),
  });
  const silenceCache = new Map<string, SilenceEntry>();
  const engine: EngineDeps = {
    clock,
    logger,
    writeback,
    sink: pipeline,
    search: (rt) => ports.get(rt.rule.name)!,
    globals: { runEveryMs: config.runEveryMs, oldQueryLimitMs: config.oldQueryLimitMs },
    silenceCache,
  };

  const scheduler = new Scheduler({
    clock,
    maxConcurrent: config.maxThreads,
    ...(endAt !== undefined ? { spreadMs: 0 } : {}),
    onSkipped: (name) => {
      obs?.runSkipped(name);
      logger.warn({ rule: name }, 'run skipped: the previous run of this rule is still going');
    },
    onError: (name, err) => logger.error({ rule: name, err: errorMessage(err) }, 'rule run failed'),
  });

  /** Schedules a rule; a rule of the same name is replaced, keeping its state when its logic is unchanged. */
  const installRule = async (rule: Rule) => {
    const previous = rules.get(rule.name);
    const rt = createRuntimeRule(rule, previous);
    if (!previous) rt.state.initialStarttime = startAt;
    for (const a of rule.alerters) deps.secrets.add(...a.secrets());
    ports.set(rule.name, offline ?? createEsSearchPort((await connect(rule.raw)).client));
    rules.set(rule.name, rt);
    obs?.ruleLoaded({ name: rule.name, file: rule.file, type: String(rule.raw.type) });
    let failures = 0;
    let finished = false;
    const log = logger.child({ rule: rt.rule.name });
    const ruleDeps: EngineDeps = { ...engine, logger: log };
    scheduler.add({
      name: rt.rule.name,
      intervalMs: rt.rule.options.runEveryMs,
      done: () => finished,
      nextAllowed: () => rt.state.nextRunAt,
      run: async (signal) => {
        const o = rt.rule.options;
        const end = endAt ?? clock.now() - o.queryDelayMs;
        if (o.limitExecution && endAt === undefined) {
          // ElastAlert 2's limit_execution: run only around the cron's times, pausing in between.
          const next = o.limitExecution.next(clock.now(), o.timezone);
          rt.state.nextRunAt = undefined;
          if (end + o.runEveryMs < next - 59_000) {
            rt.state.nextRunAt = next;
            if (o.limitExecutionCoverage) {
              rt.state.minimumStarttime = next;
              rt.state.previousEndtime = next;
            }
            if (!rt.state.hasRunOnce) return;
          }
        }
        rt.state.hasRunOnce = true;
        const start = rt.state.initialStarttime;
        rt.state.initialStarttime = undefined;
        const progress = endAt !== undefined ? opts.progress : undefined;
        const began = clock.now();
        const t0 = performance.now();
        const report = await runRule(rt, end, ruleDeps, {
          signal,
          slimReport: true,
          ...(start !== undefined ? { start } : {}),
          ...(progress ? { onProgress: (p) => progress.segment(rt.rule.name, p) } : {}),
        });
        progress?.ruleRun(rt.rule.name, report.tally.matches);
        if (!report.skipped) obs?.runFinished(rt.rule.name, report, began, performance.now() - t0);
        const alerted = report.tally.outcomes.alerted;
        if (!report.skipped) {
          log.info(
            {
              from: report.start,
              to: report.end,
              hits: report.hits,
              duplicates: report.duplicates,
              matches: report.tally.matches,
              alerted,
            },
            `Ran ${rt.rule.name} from ${report.start} to ${report.end}: ${report.hits} query hits (${report.duplicates} already seen), ${report.tally.matches} matches`,
          );
        }
        if (endAt !== undefined) {
          failures = report.error ? failures + 1 : 0;
          const reached =
            report.completedTo !== undefined && (parseTimestamp(report.completedTo) ?? 0) >= endAt;
          if (reached && clock.now() + o.runEveryMs > endAt) finished = true;
          if (failures >= 5) {
            log.error('giving up on this rule after 5 failed runs');
            finished = true;
          }
        }
      },
    });
  };
  const removeRule = (name: string) => {
    scheduler.remove(name);
    rules.delete(name);
    ports.delete(name);
    obs?.ruleRemoved(name);
  };
  for (const rule of loaded.rules) await installRule(rule);
  obs?.initialLoad();
  for (const { file, error } of loaded.errors) if (file) obs?.loadFailed(file, error.message);

  const flushEvery = config.runEveryMs;
  let flushTimer: NodeJS.Timeout | undefined;
  const flush = async () => {
    try {
      await pipeline.flushDue(rules, lifetime.signal);
    } catch (err) {
      logger.error({ err: errorMessage(err) }, 'sending pending alerts failed');
    }
  };
  const scheduleFlush = () => {
    flushTimer = setTimeout(() => void flush().finally(scheduleFlush), flushEvery);
  };
  await flush(); // alerts left unsent by a previous process
  scheduler.start();
  if (endAt === undefined) scheduleFlush();
  if (obs) {
    obs.nextRun = (name) => scheduler.stats(name)?.nextRun;
    obs.queued = () => pipeline.queued();
    obs.phase = 'running';
  }

  // hot reload, unless pinned or running a fixed window
  let reloadTimer: NodeJS.Timeout | undefined;
  if (!opts.pinRules && endAt === undefined) {
    const reloader = new RuleReloader(
      {
        ctx: { global: config, env: deps.env, catalogs: cats, logger },
        ...(opts.rule ? { onlyRule: opts.rule } : {}),
        install: installRule,
        remove: removeRule,
        logger,
        ...(obs ? { observability: obs } : {}),
      },
      loaded,
    );
    const every = Math.min(config.runEveryMs, opts.reloadEveryMs ?? 10_000);
    const tick = () => {
      reloadTimer = setTimeout(() => {
        reloader
          .check()
          .catch((err: unknown) =>
            logger.error({ err: errorMessage(err) }, 'checking the rules folders failed'),
          )
          .finally(() => {
            if (!stopped) tick();
          });
      }, every);
    };
    tick();
  }
  logger.info(
    {
      rules: rules.size,
      failed: loaded.errors.length,
      writeback: config.writebackIndex,
      since: startAt === undefined ? undefined : toIso(startAt),
    },
    'esalert started',
  );

  const drainMs = opts.drainMs ?? 30_000;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (obs) obs.phase = 'stopping';
    clearTimeout(flushTimer);
    clearTimeout(reloadTimer);
    await scheduler.stop(drainMs);
    await flush();
    // let queued alerts go out; what does not make it stays unsent in the writeback for the next start
    await pipeline.drain(drainMs);
    // what this process wrote must be visible to the next one, whenever it starts
    await writeback
      .flush()
      .catch((err: unknown) =>
        logger.warn({ err: errorMessage(err) }, 'could not refresh the writeback indices'),
      );
    lifetime.abort();
    for (const c of connections.values()) await (await c.catch(() => undefined))?.close();
  };
  const releaseAggregates = async () => {
    if (!memory) return;
    const due = [...memory.alerts.values()]
      .filter((d) => !d.alert_sent && !d.aggregate_id)
      .map((d) => parseTimestamp(d.alert_time) ?? 0);
    if (!due.length) return;
    shift = Math.max(0, Math.max(...due) + 1 - deps.clock.now());
    logger.info({ alerts: due.length }, 'the data ran out: sending the aggregated alerts now');
    await flush();
  };
  const finished =
    endAt === undefined
      ? new Promise<void>(() => {})
      : scheduler.finished().then(flush).then(releaseAggregates);
  return { config, rules, loaded, scheduler, pipeline, finished, stop };
}
