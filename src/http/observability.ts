/**
 * What a running esalert tells operators: Prometheus metrics with per-rule series, each rule's
 * load status, last run, next run and last alert (for /api/rules), and whether it is alive and
 * ready. The app reports events here; the HTTP server reads from here.
 *
 * ElastAlert 2's own counters (elastalert_scrapes, _hits, _matches, _time_taken, _alerts_sent,
 * _alerts_not_sent, _alerts_silenced, _errors) are kept under their names so existing dashboards
 * go on working.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RunReport } from '../engine/run-report.ts';
import { parseTimestamp, toIso } from '../util/time.ts';
import type { LastRun } from './console/web/api-types.ts';

/** One finished run of a rule (the API's shape). */
export type RunRecord = LastRun;

/** Finished runs kept per rule for the console's timeline (older ones are read from the writeback). */
export const RUNS_KEPT = 30;

export interface RuleStatus {
  name: string;
  file: string;
  type: string;
  loadedAt: string;
  /** The last edit of the file failed to load: the previous version keeps running. */
  reloadError?: string;
  /** Why the rule may never alert: its index matches no index, its fields are in no mapping. */
  warnings: string[];
  lastRun?: RunRecord;
  lastAlert?: { at: string; alerter: string; ok: boolean; reason?: string };
  runs: number;
  skippedRuns: number;
}

export type Phase = 'starting' | 'running' | 'stopping';

/** Who runs a rule among replicas. */
export interface RuleOwner {
  owner: string | undefined;
  ownedHere: boolean;
  epoch: number | undefined;
  leaseAgeSeconds: number | undefined;
  handovers: number;
}

/** The replicas sharing the writeback, as this instance sees them. */
export interface ReplicasView {
  self: string;
  /** This instance renewed its membership recently enough to hold leases. */
  member: boolean;
  members: { id: string; started: string; heartbeat: string; live: boolean; ruleCount: number }[];
  owner(rule: string): RuleOwner;
}

export class Observability {
  readonly registry = new Registry();
  phase: Phase = 'starting';
  /** Checks Elasticsearch (set by the app once connected; absent offline). */
  esCheck: (() => Promise<void>) | undefined;
  /** The next run of a rule, from the scheduler. */
  nextRun: ((rule: string) => number | undefined) | undefined;
  /** Alerts waiting per channel, from the pipeline. */
  queued: (() => Record<string, number>) | undefined;
  /** Replicas (set by the app when they coordinate). */
  replicas: (() => ReplicasView) | undefined;
  private initialLoadDone = false;
  private readonly rules = new Map<string, RuleStatus>();
  private readonly recent = new Map<string, RunRecord[]>();
  private readonly loadErrors = new Map<string, { file: string; error: string; at: string }>();
  private readonly now: () => number;
  /** Alerters that delivered for each rule (to drop their series with the rule). */
  private readonly alertersOf = new Map<string, Set<string>>();

  private readonly runs: Counter<'rule' | 'result'>;
  private readonly duration: Histogram<'rule'>;
  private readonly hits: Counter<'rule'>;
  private readonly matches: Counter<'rule'>;
  private readonly suppressed: Counter<'rule' | 'reason'>;
  private readonly alerts: Counter<'rule' | 'alerter' | 'result'>;
  private readonly skipped: Counter<'rule'>;
  private readonly ea2: Record<
    'scrapes' | 'hits' | 'matches' | 'timeTaken' | 'sent' | 'notSent' | 'silenced',
    Counter<'rule_name'>
  >;
  private readonly ea2Errors: Counter;
  private readonly leaseChanges: Counter<'rule' | 'change'>;

  constructor(now: () => number = Date.now) {
    this.now = now;
    const r = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'esalert_' });
    this.runs = new Counter({
      name: 'esalert_rule_runs_total',
      help: 'Rule runs, by result (ok, error)',
      labelNames: ['rule', 'result'],
      registers: r,
    });
    this.duration = new Histogram({
      name: 'esalert_rule_run_duration_seconds',
      help: 'Time one rule run took (queries, rule type, handing matches to alerting)',
      labelNames: ['rule'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: r,
    });
    this.hits = new Counter({
      name: 'esalert_rule_hits_total',
      help: 'Documents (or counts/buckets) the rule queries returned',
      labelNames: ['rule'],
      registers: r,
    });
    this.matches = new Counter({
      name: 'esalert_rule_matches_total',
      help: 'Matches the rule type found',
      labelNames: ['rule'],
      registers: r,
    });
    this.suppressed = new Counter({
      name: 'esalert_rule_matches_suppressed_total',
      help: 'Matches not alerted, by reason (silenced: realert or esalert silence; dropped: a match enhancement)',
      labelNames: ['rule', 'reason'],
      registers: r,
    });
    this.alerts = new Counter({
      name: 'esalert_rule_alerts_total',
      help: 'Alert deliveries, by alerter and result (sent, failed)',
      labelNames: ['rule', 'alerter', 'result'],
      registers: r,
    });
    this.skipped = new Counter({
      name: 'esalert_rule_runs_skipped_total',
      help: 'Runs skipped because the previous run of the rule was still going',
      labelNames: ['rule'],
      registers: r,
    });
    const rulesRef = this.rules;
    const nowRef = this.now;
    new Gauge({
      name: 'esalert_rule_lag_seconds',
      help: 'Now minus the end of the last window the rule has queried',
      labelNames: ['rule'],
      registers: r,
      collect() {
        this.reset();
        for (const s of rulesRef.values()) {
          const to = parseTimestamp(s.lastRun?.queriedTo);
          if (to !== undefined) this.set({ rule: s.name }, Math.max(0, (nowRef() - to) / 1000));
        }
      },
    });
    const errorsRef = this.loadErrors;
    new Gauge({
      name: 'esalert_rules_loaded',
      help: 'Rules loaded and scheduled',
      registers: r,
      collect() {
        this.set(rulesRef.size);
      },
    });
    new Gauge({
      name: 'esalert_rule_load_errors',
      help: 'Rule files that failed to load (1 per file; an edit that failed keeps the previous version running)',
      labelNames: ['file'],
      registers: r,
      collect() {
        this.reset();
        for (const e of errorsRef.values()) this.set({ file: e.file }, 1);
      },
    });
    const queuedRef = () => this.queued?.() ?? {};
    new Gauge({
      name: 'esalert_alerts_queued',
      help: 'Alerts waiting to be delivered, by channel',
      labelNames: ['channel'],
      registers: r,
      collect() {
        this.reset();
        for (const [channel, n] of Object.entries(queuedRef())) this.set({ channel }, n);
      },
    });
    const ea2 = (name: string, help: string) =>
      new Counter({ name: `elastalert_${name}_total`, help, labelNames: ['rule_name'], registers: r });
    this.ea2 = {
      scrapes: ea2('scrapes', 'Rule runs (ElastAlert 2 name)'),
      hits: ea2('hits', 'Query hits (ElastAlert 2 name)'),
      matches: ea2('matches', 'Matches (ElastAlert 2 name)'),
      timeTaken: ea2('time_taken', 'Seconds spent running rules (ElastAlert 2 name)'),
      sent: ea2('alerts_sent', 'Alerts sent (ElastAlert 2 name)'),
      notSent: ea2(
        'alerts_not_sent',
        'Alerts not sent: failed, or held for an aggregation (ElastAlert 2 name)',
      ),
      silenced: ea2('alerts_silenced', 'Silences set, by silence key (ElastAlert 2 name)'),
    };
    this.leaseChanges = new Counter({
      name: 'esalert_rule_lease_changes_total',
      help: 'Replicas: leases of the rule this instance claimed (new), took over from another instance (handover) or gave away (released)',
      labelNames: ['rule', 'change'],
      registers: r,
    });
    const replicasRef = () => this.replicas?.();
    new Gauge({
      name: 'esalert_replicas_members',
      help: 'Replicas: live members sharing the writeback index, as this instance sees them',
      registers: r,
      collect() {
        const v = replicasRef();
        if (v) this.set(v.members.filter((m) => m.live).length);
      },
    });
    new Gauge({
      name: 'esalert_rule_lease_age_seconds',
      help: 'Replicas: how long this instance has held the rule (only rules it runs)',
      labelNames: ['rule'],
      registers: r,
      collect() {
        this.reset();
        const v = replicasRef();
        if (!v) return;
        for (const name of rulesRef.keys()) {
          const o = v.owner(name);
          if (o.ownedHere && o.leaseAgeSeconds !== undefined) this.set({ rule: name }, o.leaseAgeSeconds);
        }
      },
    });
    this.ea2Errors = new Counter({
      name: 'elastalert_errors_total',
      help: 'Errors written to the writeback index (ElastAlert 2 name)',
      registers: r,
    });
  }

  ruleLoaded(s: { name: string; file: string; type: string; warnings?: string[] }): void {
    const prev = this.rules.get(s.name);
    this.rules.set(s.name, {
      runs: 0,
      skippedRuns: 0,
      ...prev,
      name: s.name,
      file: s.file,
      type: s.type,
      warnings: s.warnings ?? [],
      loadedAt: toIso(this.now()),
      reloadError: undefined,
    });
    this.loadErrors.delete(s.file);
  }

  ruleRemoved(name: string): void {
    const s = this.rules.get(name);
    this.rules.delete(name);
    this.recent.delete(name);
    if (!s) return;
    for (const m of [this.duration, this.hits, this.matches, this.skipped]) m.remove({ rule: name });
    for (const result of ['ok', 'error']) this.runs.remove({ rule: name, result });
    for (const reason of ['silenced', 'dropped']) this.suppressed.remove({ rule: name, reason });
    for (const alerter of this.alertersOf.get(name) ?? [])
      for (const result of ['sent', 'failed']) this.alerts.remove({ rule: name, alerter, result });
    this.alertersOf.delete(name);
  }

  /** A file failed to load. `rule` names the running rule it was meant to replace, if any. */
  loadFailed(file: string, error: string, rule?: string): void {
    this.loadErrors.set(file, { file, error, at: toIso(this.now()) });
    const s = rule ? this.rules.get(rule) : undefined;
    if (s) s.reloadError = error;
  }

  loadErrorCleared(file: string): void {
    this.loadErrors.delete(file);
  }

  initialLoad(): void {
    this.initialLoadDone = true;
  }

  runSkipped(rule: string): void {
    this.skipped.inc({ rule });
    const s = this.rules.get(rule);
    if (s) s.skippedRuns++;
  }

  runFinished(rule: string, report: RunReport, startedAt: number, durationMs: number): void {
    const s = this.rules.get(rule);
    const { outcomes } = report.tally;
    const suppressed = { silenced: outcomes.silenced, dropped: outcomes.dropped };
    this.runs.inc({ rule, result: report.error ? 'error' : 'ok' });
    this.duration.observe({ rule }, durationMs / 1000);
    this.hits.inc({ rule }, report.hits);
    this.matches.inc({ rule }, report.tally.matches);
    for (const [reason, n] of Object.entries(suppressed)) if (n) this.suppressed.inc({ rule, reason }, n);
    this.ea2.scrapes.inc({ rule_name: rule });
    this.ea2.hits.inc({ rule_name: rule }, report.hits);
    this.ea2.matches.inc({ rule_name: rule }, report.tally.matches);
    this.ea2.timeTaken.inc({ rule_name: rule }, durationMs / 1000);
    if (report.error) this.ea2Errors.inc();
    for (const [key, n] of report.tally.realertKeys) this.ea2.silenced.inc({ rule_name: key }, n);
    if (outcomes.aggregated) this.ea2.notSent.inc({ rule_name: rule }, outcomes.aggregated);
    if (!s) return;
    s.runs++;
    const run: RunRecord = {
      startedAt: toIso(startedAt),
      durationMs: Math.round(durationMs),
      window: { start: report.start, end: report.end },
      ...(report.completedTo ? { queriedTo: report.completedTo } : {}),
      hits: report.hits,
      matches: report.tally.matches,
      alerted: outcomes.alerted,
      suppressed: suppressed.silenced + suppressed.dropped,
      ...(report.error ? { error: report.error.message } : {}),
    };
    s.lastRun = run;
    let list = this.recent.get(rule);
    if (!list) this.recent.set(rule, (list = []));
    list.push(run);
    if (list.length > RUNS_KEPT) list.splice(0, list.length - RUNS_KEPT);
  }

  /** The last runs of a rule since this process started (at most RUNS_KEPT), newest first. */
  recentRuns(rule: string): RunRecord[] {
    return [...(this.recent.get(rule) ?? [])].reverse();
  }

  /** One rule's status, with its next run. */
  status(rule: string): (RuleStatus & { nextRun?: string; replicas?: RuleOwner }) | undefined {
    const s = this.rules.get(rule);
    if (!s) return undefined;
    const next = this.nextRun?.(s.name);
    const view = this.replicas?.();
    return {
      ...s,
      ...(next !== undefined ? { nextRun: toIso(next) } : {}),
      ...(view ? { replicas: view.owner(s.name) } : {}),
    };
  }

  private noteAlerter(rule: string, alerter: string): void {
    let set = this.alertersOf.get(rule);
    if (!set) this.alertersOf.set(rule, (set = new Set()));
    set.add(alerter);
  }

  alertDelivered(rule: string, alerter: string): void {
    this.noteAlerter(rule, alerter);
    this.alerts.inc({ rule, alerter, result: 'sent' });
    this.ea2.sent.inc({ rule_name: rule });
    const s = this.rules.get(rule);
    if (s) s.lastAlert = { at: toIso(this.now()), alerter, ok: true };
  }

  alertFailed(rule: string, alerter: string, reason: string): void {
    this.noteAlerter(rule, alerter);
    this.alerts.inc({ rule, alerter, result: 'failed' });
    this.ea2.notSent.inc({ rule_name: rule });
    const s = this.rules.get(rule);
    if (s) s.lastAlert = { at: toIso(this.now()), alerter, ok: false, reason };
  }

  /** Replicas: leases this instance claimed (handover: from another instance). */
  leasesAcquired(rules: string[], handover: boolean): void {
    for (const rule of rules) this.leaseChanges.inc({ rule, change: handover ? 'handover' : 'new' });
  }

  /** Replicas: leases this instance gave away or lost. */
  leasesLost(rules: string[]): void {
    for (const rule of rules) this.leaseChanges.inc({ rule, change: 'released' });
  }

  /** Each rule's status (and owner among replicas), the files that failed to load, and the replicas. */
  snapshot(): {
    rules: (RuleStatus & { nextRun?: string; replicas?: RuleOwner })[];
    loadErrors: { file: string; error: string; at: string }[];
    replicas?: Omit<ReplicasView, 'owner'>;
  } {
    const view = this.replicas?.();
    return {
      rules: [...this.rules.keys()]
        .map((name) => this.status(name)!)
        .sort((a, b) => a.name.localeCompare(b.name)),
      loadErrors: [...this.loadErrors.values()].sort((a, b) => a.file.localeCompare(b.file)),
      ...(view ? { replicas: { self: view.self, member: view.member, members: view.members } } : {}),
    };
  }

  healthy(): { ok: boolean; phase: Phase } {
    return { ok: this.phase !== 'stopping', phase: this.phase };
  }

  /** Ready: rules loaded and Elasticsearch answering. */
  async ready(): Promise<{ ok: boolean; reasons: string[] }> {
    const reasons: string[] = [];
    if (this.phase !== 'running') reasons.push(`esalert is ${this.phase}`);
    if (!this.initialLoadDone) reasons.push('rules are not loaded yet');
    const replicas = this.replicas?.();
    if (replicas && !replicas.member)
      reasons.push('not a live member of the replicas: the lease store could not be renewed');
    if (this.esCheck) {
      try {
        await this.esCheck();
      } catch (err) {
        reasons.push(`Elasticsearch is not reachable: ${(err as Error).message}`);
      }
    } else if (!this.offline) {
      reasons.push('not connected to Elasticsearch yet');
    }
    return { ok: reasons.length === 0, reasons };
  }

  /** Runs over a file of events need no Elasticsearch. */
  offline = false;
}
