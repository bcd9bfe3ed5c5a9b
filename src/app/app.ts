/**
 * The composition root of `esalert run`. createApp() builds: the config, the run mode (search
 * ports, stores, alerters and clock for live, backfill, --data and --debug), the rules, the alert
 * path and the scheduler with one job per rule. start() runs: it sends what a previous process
 * left unsent, starts the scheduler, the outbox and the rule reloader. stop() tears down in order
 * within one deadline: stop scheduling and let runs finish, send what is due, let queued alerts
 * go out, make the writeback visible to the next start, close connections.
 */
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { firingStore } from '../state/firing-store.ts';
import { createAlertPipeline, type AlertPipeline, type Undelivered } from '../alerts/pipeline.ts';
import type { CompiledRule } from '../compile/compiled-rule.ts';
import { loadRules, type LoadedRules } from '../compile/load-rules.ts';
import { type GlobalConfig, loadGlobalConfig } from '../config/global-config.ts';
import type { EnvLookup } from '../config/interpolate.ts';
import type { EngineDeps } from '../engine/run-rule.ts';
import { createRuntimeRule, type RuntimeRule } from '../engine/runtime-rule.ts';
import { EsalertError, errorMessage } from '../errors/esalert-error.ts';
import { createJinjaRenderer } from '../format/jinja.ts';
import type { Observability } from '../http/observability.ts';
import { type Clock, type Timer, timerDelay } from '../model/clock.ts';
import type { MemoryDocument } from '../query/memory/memory-search-port.ts';
import type { SearchPort } from '../query/search-port.ts';
import { DEFAULT_MSEARCH_CAPS } from '../query/msearch-batches.ts';
import { type BackfillProgress, createRuleJob } from '../scheduler/rule-job.ts';
import { Scheduler } from '../scheduler/scheduler.ts';
import { toIso } from '../util/time.ts';
import { catalogs, knownRuleOptionNames } from './catalogs.ts';
import type { SecretRegistry } from './logger.ts';
import { RuleReloader } from './reloader.ts';
import { stringList } from '../config/fields.ts';
import { createSelfAlertFor } from './self-alert-wiring.ts';
import { createReplicas, type Replicas, replicasView } from './replicas.ts';
import { createRunMode } from './run-mode.ts';
import type { HistoryReader } from '../state/history.ts';
import type { SilenceStore } from '../state/writeback.ts';
import { loadToolConfig } from './tool-config.ts';

export interface RunOptions {
  configFile: string;
  /** How long stop() may take in all: runs finishing, due alerts going out (default 30 s). */
  drainMs?: number;
  rule?: string;
  start?: string;
  end?: string;
  debug?: boolean;
  pinRules?: boolean;
  /** Log every Elasticsearch request (--es-debug). */
  esDebug?: boolean;
  /** How often the rules folders are checked for changes (at most run_every; default 10 s). */
  reloadEveryMs?: number;
  /**
   * Evaluate over these documents (or this file of them) instead of Elasticsearch: the
   * writeback index is kept in memory, and the run covers the documents' time span unless
   * --start/--end say otherwise, then exits.
   */
  data?: string | readonly MemoryDocument[];
  /** Progress of backfills (--end or --data), for a terminal. */
  progress?: BackfillProgress;
  /**
   * One-shot runs (--end, --data): once the window is covered, how long queued alerts may take to
   * go out, within the channels' rate limits and retries (default 10 min). What is still unsent
   * then stays in the writeback for the next start, and undelivered() lists it.
   */
  deliverMs?: number;
  /** One-shot runs: how long to wait for an unreachable Elasticsearch (default 2 min). */
  esWaitMs?: number;
}

/** How long a one-shot run lets its queued alerts go out by default. */
export const DEFAULT_DELIVER_MS = 600_000;

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
  /** Replicas sharing the rules (live runs against Elasticsearch, unless replicas.enabled is false). */
  replicas: Replicas | undefined;
  /** Silences as runs read them (Explain checks a rule's matches against them). */
  silences: Pick<SilenceStore, 'silence'>;
  /** Where people set and lift silences (the console). */
  manualSilences: SilenceStore;
  /** The writeback read back for people (the console). */
  history: HistoryReader;
  /** The search port a rule queries; without a rule, the main connection's (offline: the file's). */
  searchPort(rule?: string): SearchPort | undefined;
  /** Why nothing may be written (--debug), if so. */
  readOnlyReason: string | undefined;
  /** Drops what this process remembers of a silence key, so that a lifted silence ends at once. */
  forgetSilence(key: string): void;
  /** Runs the rules: sends what was left unsent, starts scheduling, the outbox and the reloader. */
  start(): Promise<void>;
  /** Resolves when a backfill (--end) finished and its alerts went out (or deliverMs passed); never for a continuous run. */
  finished: Promise<void>;
  stop(): Promise<void>;
  /** Alerts that did not reach every alerter of their rule (after stop(): what the next start sends). */
  undelivered(): Undelivered[];
}

/** Builds and starts the app. */
export async function startApp(opts: RunOptions, deps: AppDeps): Promise<App> {
  const app = await createApp(opts, deps);
  await app.start();
  return app;
}

export async function createApp(opts: RunOptions, deps: AppDeps): Promise<App> {
  const { logger } = deps;
  const obs = deps.observability;
  const cats = catalogs(opts.configFile);
  const config =
    opts.data !== undefined
      ? loadToolConfig(existsSync(opts.configFile) ? opts.configFile : undefined, deps.env)
      : loadGlobalConfig(opts.configFile, { env: deps.env, knownRuleOptions: knownRuleOptionNames(cats) });
  for (const w of config.warnings) logger.warn(w);
  const mode = await createRunMode(opts, config, deps);
  const { clock, startAt, endAt } = mode;
  if (obs) {
    obs.offline = mode.offline;
    if (mode.esCheck) obs.esCheck = mode.esCheck;
  }
  if (!opts.debug) await mode.writeback.ensureIndices();

  const loaded = loadRules({ global: config, env: deps.env, catalogs: cats, logger }, opts.rule);
  for (const { error } of loaded.errors) logger.error({ code: error.code }, error.message);
  if (loaded.errors.length > 0 && config.stopOnInvalidRules) {
    throw new EsalertError(
      'RULE_INVALID',
      `${loaded.errors.length} rule file(s) failed to load and config.yaml says skip_invalid: false`,
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
  const selfAlert = mode.offline
    ? undefined
    : createSelfAlertFor({
        config,
        catalogs: cats,
        env: deps.env,
        clock,
        logger,
        stores: mode.stores,
        alertTimeLimitMs: mode.alertTimeLimitMs,
        esCheck: mode.esCheck,
        addSecrets: (...values) => deps.secrets.add(...values),
        ruleNotifyEmail: (name) => {
          const d = rules.get(name)?.rule.definition;
          return d?.ownKeys.includes('notify_email')
            ? stringList.safeParse(d.raw.notify_email).data
            : undefined;
        },
      });
  for (const { file, error } of loaded.errors) if (file) selfAlert?.loadFailed(file, error.message);
  const scheduler = new Scheduler({
    clock,
    // max_threads bounds the Elasticsearch requests the runs have under way (run-mode.ts); the
    // runs themselves wait in _msearch requests of up to maxSearches searches (docs/deviations.md)
    // a backfill's runs are long and each holds its pages: max_threads of them, as ElastAlert 2
    // runs them (in the 40k backfill, 115 instead of 152 MiB, and sooner)
    maxConcurrent:
      endAt !== undefined ? config.maxThreads : config.maxThreads * DEFAULT_MSEARCH_CAPS.maxSearches,
    ...(endAt !== undefined ? { spreadMs: 0 } : {}),
    onSkipped: (name) => {
      obs?.runSkipped(name);
      logger.warn({ rule: name }, 'run skipped: the previous run of this rule is still going');
    },
    onError: (name, err) => logger.error({ rule: name, err: errorMessage(err) }, 'rule run failed'),
  });
  const replicas =
    config.replicas.enabled && endAt === undefined && !opts.debug && mode.leaseStore
      ? createReplicas(config, {
          store: mode.leaseStore,
          logger,
          busy: (name) => scheduler.stats(name)?.running ?? false,
          beforeRelease: () => mode.writeback.flush(),
          events: {
            acquired: (names, handover) => {
              obs?.leasesAcquired(names, handover);
              // another instance may have run these rules since this one last held them
              for (const name of names) pipeline.forgetFiring(name);
              if (!handover) return;
              // run them now rather than at this instance's own time for them, and send what
              // the previous owner left unsent
              for (const name of names) scheduler.runSoon(name);
              void flush();
            },
            lost: (names) => obs?.leasesLost(names),
          },
        })
      : undefined;
  const pipeline = createAlertPipeline({
    renderJinja: createJinjaRenderer(),
    clock,
    logger,
    stores: mode.stores,
    firing: firingStore(mode.stores.ruleState),
    alertTimeLimitMs: mode.alertTimeLimitMs,
    maxAggregation: config.maxAggregation,
    retry: config.alertRetry,
    ...(mode.alerters ? { alerters: mode.alerters } : {}),
    onSent: (rule: string, alerter: string) => {
      obs?.alertDelivered(rule, alerter);
      selfAlert?.alerterOutcome(alerter, { ok: true });
    },
    onFailed: (rule: string, alerter: string, reason: string, retryable: boolean) => {
      obs?.alertFailed(rule, alerter, reason);
      selfAlert?.alerterOutcome(alerter, { ok: false, retryable, reason });
    },
    ...(replicas ? { holds: replicas.holds } : {}),
  });
  const engine: EngineDeps = {
    clock,
    logger,
    stores: replicas ? replicas.stores(mode.stores) : mode.stores,
    sink: replicas ? replicas.sink(pipeline) : pipeline,
    search: (rt) => ports.get(rt.rule.name)!,
    globals: { runEveryMs: config.runEveryMs, oldQueryLimitMs: config.oldQueryLimitMs },
  };

  /** Schedules a rule; a rule of the same name is replaced, keeping its state when its logic is unchanged. */
  const installRule = async (rule: CompiledRule) => {
    const previous = rules.get(rule.name);
    const rt = createRuntimeRule(rule, previous);
    if (!previous) rt.state.initialStarttime = startAt;
    for (const a of rule.alerters) deps.secrets.add(...a.secrets());
    ports.set(rule.name, await mode.searchFor(rule));
    rules.set(rule.name, rt);
    const warnings = await mode.setupWarnings(rule);
    for (const w of warnings) logger.warn({ rule: rule.name }, w);
    obs?.ruleLoaded({ name: rule.name, file: rule.file, type: rule.definition.common.type, warnings });
    const job = createRuleJob(rt, {
      clock,
      engine: { ...engine, logger: logger.child({ rule: rt.rule.name }) },
      endAt,
      ...(opts.progress ? { progress: opts.progress } : {}),
      onRun: (name, report, at, ms) => {
        // a run under way when its rule file was deleted ends after the rule left the metrics
        if (!rules.has(name)) return;
        obs?.runFinished(name, report, at, ms);
        selfAlert?.ruleRun(name, report.error?.message);
      },
    });
    scheduler.add(replicas ? replicas.job(job, rt) : job);
    // the whole rule set is hashed and sorted: once after the initial load, not once per rule
    if (!initialLoad) replicas?.setRules(rules);
  };
  const removeRule = (name: string) => {
    scheduler.remove(name);
    rules.delete(name);
    ports.delete(name);
    obs?.ruleRemoved(name);
    replicas?.setRules(rules);
  };
  // where the rules came from, so that a relative rules_folder resolved elsewhere shows
  const ruleFileCount =
    loaded.rules.length + loaded.disabled.length + loaded.errors.filter((e) => e.file).length;
  if (ruleFileCount === 0 && !opts.rule)
    logger.warn({ rulesFolders: config.rulesFolders }, 'no rule files found in the rules folders');
  let initialLoad = true;
  for (const rule of loaded.rules) await installRule(rule);
  initialLoad = false;
  replicas?.setRules(rules);
  obs?.initialLoad();
  for (const { file, error } of loaded.errors) if (file) obs?.loadFailed(file, error.message);

  const lifetime = new AbortController();
  // one flush at a time: replicas also flush when they take rules over
  let flushing = Promise.resolve();
  const flush = (signal: AbortSignal = lifetime.signal) =>
    (flushing = flushing.then(async () => {
      try {
        await pipeline.flushDue(replicas ? replicas.owned(rules) : rules, signal);
      } catch (err) {
        logger.error({ err: errorMessage(err) }, 'sending pending alerts failed');
      }
    }));
  const timers: { flush?: Timer; reload?: Timer } = {};
  let stopped = false;
  let markFinished: () => void = () => {};
  const finished = new Promise<void>((resolve) => (markFinished = resolve));

  const start = async () => {
    await replicas?.start(); // claims this instance's share of the rules
    await flush(); // alerts left unsent by a previous process
    scheduler.start();
    if (endAt === undefined) selfAlert?.start();
    if (endAt === undefined) {
      const scheduleFlush = () => {
        timers.flush = clock.setTimer(
          () =>
            void flush().finally(() => {
              if (!stopped) scheduleFlush();
            }),
          config.runEveryMs,
        );
      };
      scheduleFlush();
    }
    if (obs) {
      if (replicas) obs.replicas = () => replicasView(replicas.coordinator);
      obs.nextRun = (name) => scheduler.stats(name)?.nextRun;
      obs.queued = () => pipeline.queued();
      obs.phase = 'running';
    }
    // hot reload, unless pinned or running a fixed window
    if (!opts.pinRules && endAt === undefined) {
      const reloader = new RuleReloader(
        {
          ctx: { global: config, env: deps.env, catalogs: cats, logger },
          ...(opts.rule ? { onlyRule: opts.rule } : {}),
          install: installRule,
          remove: removeRule,
          logger,
          ...(obs ? { observability: obs } : {}),
          ...(selfAlert
            ? {
                onLoadFailed: (file: string, message: string) => selfAlert.loadFailed(file, message),
                onLoadCleared: (file: string) => selfAlert.loadCleared(file),
              }
            : {}),
        },
        loaded,
      );
      const every = Math.min(config.runEveryMs, opts.reloadEveryMs ?? 10_000);
      const tick = () => {
        timers.reload = clock.setTimer(() => {
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
        rulesFolders: config.rulesFolders,
        ruleFiles: ruleFileCount,
        writeback: config.writebackIndex,
        since: startAt === undefined ? undefined : toIso(startAt),
      },
      'esalert started',
    );
    if (endAt !== undefined) {
      const releaseAggregates = async () => {
        const released = mode.releaseAggregates();
        if (!released) return;
        logger.info({ alerts: released }, 'the data ran out: sending the aggregated alerts now');
        await flush();
      };
      // the window is covered: let what is queued go out, as fast as the channels take it
      const deliver = async () => {
        const deliverMs = opts.deliverMs ?? DEFAULT_DELIVER_MS;
        const queued = Object.values(pipeline.queued()).reduce((a, b) => a + b, 0);
        if (queued)
          logger.info({ queued, withinMs: deliverMs }, 'the window is covered: sending queued alerts');
        if (!(await pipeline.settle(deliverMs)))
          logger.warn({ deliverMs }, 'queued alerts did not all go out in time; stopping');
      };
      void scheduler
        .finished()
        .then(() => flush())
        .then(releaseAggregates)
        .then(deliver)
        .then(markFinished);
    }
  };

  const drainMs = opts.drainMs ?? 30_000;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (obs) obs.phase = 'stopping';
    timers.flush?.cancel();
    timers.reload?.cancel();
    replicas?.pause();
    // one deadline for the whole shutdown, in real time whatever the clock: each step gets what
    // the ones before it left, and a step that does not finish in time is left behind
    const deadline = performance.now() + drainMs;
    const left = () => Math.max(0, deadline - performance.now());
    const within = async (work: Promise<unknown>, what: string, atLeastMs = 0) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), timerDelay(Math.max(left(), atLeastMs)));
      });
      const result = await Promise.race([work.then(() => 'done' as const), late]);
      clearTimeout(timer);
      if (result === 'late') logger.warn(`${what} did not finish within the shutdown timeout; going on`);
    };
    await scheduler.stop(left());
    await within(
      flush(AbortSignal.any([lifetime.signal, AbortSignal.timeout(Math.max(1, Math.ceil(left())))])),
      'sending due alerts',
    );
    // let queued alerts go out; what does not make it stays unsent in the writeback for the next start
    await within(pipeline.drain(left()), 'delivering queued alerts', 1000);
    // what this process wrote must be visible to the next one, whenever it starts
    await within(
      mode.writeback
        .flush()
        .catch((err: unknown) =>
          logger.warn({ err: errorMessage(err) }, 'could not refresh the writeback indices'),
        ),
      'refreshing the writeback indices',
      1000,
    );
    await within(selfAlert?.stop(left()) ?? Promise.resolve(), 'sending self-alerts', 1000);
    // hand the rules over at once rather than letting the leases expire
    await within(
      replicas?.leave(AbortSignal.timeout(Math.max(2000, Math.ceil(left())))) ?? Promise.resolve(),
      'handing the rules over',
      2000,
    );
    lifetime.abort();
    await within(mode.close(), 'closing connections', 1000);
    for (const u of pipeline.undelivered())
      logger.error(
        { rule: u.rule, alerters: u.alerters, matches: u.matches, id: u.id, reason: u.reason },
        mode.offline
          ? 'alert not delivered'
          : 'alert not delivered; it stays unsent in the writeback index for the next start',
      );
  };
  return {
    config,
    rules,
    loaded,
    scheduler,
    pipeline,
    replicas,
    silences: mode.stores.silences,
    manualSilences: mode.manualSilences,
    history: mode.history,
    searchPort: (rule) => (rule === undefined ? mode.mainSearch : ports.get(rule)),
    readOnlyReason: mode.readOnlyReason,
    forgetSilence: (key) => pipeline.forgetSilence(key),
    start,
    finished,
    stop,
    undelivered: () => pipeline.undelivered(),
  };
}
