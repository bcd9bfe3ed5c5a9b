/**
 * The alert pipeline: everything between "this match passed silence/realert" and "the message
 * arrived", in one place.
 *
 * - Each alert is recorded in the writeback index (alert_sent: false) under an id derived from
 *   the match before anything is sent, so a replayed window (after a crash) finds it and does
 *   not alert twice, and an alert that could not be delivered is retried after a restart.
 * - Delivery goes through one queue per channel, shared by all rules (channel-dispatcher.ts):
 *   rate limits with digests, retries with backoff. Rule runs do not wait for it.
 * - Each alerter of a rule is delivered to on its own: a retry goes only to the channels that
 *   have not got the alert yet (esalert_delivered); alert_sent turns true when all have.
 * - Aggregation collects matches under a head document until its alert_time, then sends them
 *   as one alert (ElastAlert 2's scheme, which survives restarts).
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { AlertContent, Alerter, SendOutcome } from '../alerters/alerter.ts';
import { resolveRuleReferences } from '../alerters/options.ts';
import type { Clock } from '../model/clock.ts';
import type { MatchSink, SinkOutcome } from '../engine/run-rule.ts';
import type { RuntimeRule } from '../engine/runtime-rule.ts';
import { errorMessage } from '../errors/esalert-error.ts';
import type { Match } from '../model/match.ts';
import type { AlertDoc, SilenceEntry, WritebackStore } from '../state/writeback.ts';
import { type Doc, lookupField, pythonStr } from '../model/lookup.ts';
import { redactDeep, redactText } from '../util/redact.ts';
import { parseTimestamp, toIso } from '../util/time.ts';
import { alertBody, alertTitle, type JinjaRenderer, matchString } from '../format/alert-text.ts';
import { ChannelDispatcher, type RetryPolicy } from './channel-dispatcher.ts';

export type { RetryPolicy } from './channel-dispatcher.ts';

export interface PipelineDeps {
  clock: Clock;
  logger: Logger;
  writeback: WritebackStore;
  alertTimeLimitMs: number;
  maxAggregation: number;
  retry?: RetryPolicy;
  /** Renders Jinja templates (alert_text_type: alert_text_jinja). */
  renderJinja?: JinjaRenderer;
  /** Waits between retries and for rate limits; tests pass one that moves `monotonic`. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Time for channel rate limits (default: performance.now(), real time even in backfills). */
  monotonic?: () => number;
  /** Replace every rule's alerters with these (--debug: log instead of sending). */
  overrideAlerters?: (rt: RuntimeRule) => Alerter[];
  /** Do not write to the writeback index (--debug, dry runs). */
  noWriteback?: boolean;
  onSent?: (rule: string, alerter: string) => void;
  onFailed?: (rule: string, alerter: string, reason: string) => void;
}

export interface AlertPipeline extends MatchSink {
  /** Sends what is due: unsent alerts within alert_time_limit and aggregates whose time came. */
  flushDue(rules: ReadonlyMap<string, RuntimeRule>, signal?: AbortSignal): Promise<number>;
  /** Waits until queued deliveries are done, or `timeoutMs` passed; then stops sending. */
  drain(timeoutMs: number): Promise<void>;
  /** Alerts queued for delivery, by channel. */
  queued(): Record<string, number>;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 2000, maxDelayMs: 60_000 };

const defaultSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/** An id for a match that is the same each time the same window is evaluated again. */
export function alertId(ruleName: string, match: Match, tsField: string, seq: number): string {
  const identity = JSON.stringify([
    ruleName,
    lookupField(match, tsField) ?? null,
    match._id ?? null,
    match.key ?? null,
    match.query_key ?? null,
    seq,
  ]);
  return createHash('sha1').update(identity).digest('base64url').slice(0, 20);
}

/** Per rule and alerter: the options the alert text is built from. */
const textOptions = new WeakMap<object, Doc[]>();

/**
 * The rule's options with the alerter's inline options over them, `$name$` references resolved
 * against the result, as ElastAlert 2's Alerter holds them (its subject and body read these).
 */
function optionsFor(rt: RuntimeRule, index: number): Doc {
  let cached = textOptions.get(rt.rule);
  if (!cached) textOptions.set(rt.rule, (cached = []));
  let options = cached[index];
  if (!options) {
    const spec = rt.rule.options.alerts[index];
    const merged = spec ? { ...rt.rule.raw, ...spec.options } : rt.rule.raw;
    options = cached[index] = resolveRuleReferences(merged, merged);
  }
  return options;
}

function contentFor(
  rt: RuntimeRule,
  index: number,
  matches: Match[],
  renderJinja: JinjaRenderer | undefined,
): AlertContent {
  const options = optionsFor(rt, index);
  const src = {
    raw: options,
    name: rt.rule.name,
    matchText: (m: Match) => rt.ruleType.matchText(m),
    ...(rt.rule.jinjaTemplate !== undefined ? { jinjaTemplate: rt.rule.jinjaTemplate } : {}),
    ...(renderJinja ? { renderJinja } : {}),
  };
  return {
    ruleName: rt.rule.name,
    options,
    matches,
    title: alertTitle(src, matches),
    body: alertBody(src, matches),
    matchTexts: matches.map((m) => matchString(src, m)),
  };
}

interface AggregateSlot {
  id: string | undefined;
  alertTime: number;
}

export function createAlertPipeline(deps: PipelineDeps): AlertPipeline {
  const retry = deps.retry ?? DEFAULT_RETRY;
  const sleep = deps.sleep ?? defaultSleep;
  const dispatchers = new Map<string, ChannelDispatcher>();
  /** Alert documents whose delivery is under way (the pending loop leaves them alone). */
  const inFlight = new Set<string>();
  const deliveries = new Set<Promise<void>>();
  /** Per rule: the aggregate each aggregation key currently collects into. */
  const aggregates = new Map<string, Map<string, AggregateSlot>>();
  /** Alerts whose document could not be written (writeback down): kept and written later. */
  const unrecorded: { id: string; doc: AlertDoc }[] = [];
  /** Without a writeback store (--debug), aggregates are kept here. */
  const memoryAggregates: { rt: RuntimeRule; id: string; doc: AlertDoc }[] = [];
  const seqs = new Map<string, number>();

  const now = () => deps.clock.now();
  const alertersOf = (rt: RuntimeRule) => deps.overrideAlerters?.(rt) ?? rt.rule.alerters;
  const secretsOf = (rt: RuntimeRule) => alertersOf(rt).flatMap((a) => a.secrets());

  const dispatcherFor = (alerter: Alerter) => {
    let d = dispatchers.get(alerter.channel);
    if (!d)
      dispatchers.set(
        alerter.channel,
        (d = new ChannelDispatcher(alerter.channel, {
          now: deps.monotonic ?? (() => performance.now()),
          logger: deps.logger,
          retry,
          sleep,
        })),
      );
    return d;
  };

  const baseDoc = (rt: RuntimeRule, match: Match, alertTime: number): AlertDoc => {
    const secrets = secretsOf(rt);
    const doc: AlertDoc = {
      match_body: redactDeep(match, secrets),
      rule_name: rt.rule.name,
      alert_info: redactDeep(alertersOf(rt)[0]?.info() ?? {}, secrets),
      alert_sent: false,
      alert_time: toIso(alertTime),
      '@timestamp': toIso(now()),
    };
    const matchTime = lookupField(match, rt.rule.options.timestampField);
    if (matchTime !== undefined) doc.match_time = matchTime;
    if (rt.rule.raw.include_match_in_root === true) {
      for (const [k, v] of Object.entries(match)) if (!k.startsWith('_')) doc[k] = redactDeep(v, secrets);
    }
    return doc;
  };

  const nextId = (rt: RuntimeRule, match: Match) => {
    const tsField = rt.rule.options.timestampField;
    const base = alertId(rt.rule.name, match, tsField, 0);
    const n = seqs.get(base) ?? 0;
    seqs.set(base, n + 1);
    if (seqs.size > 100_000) seqs.clear();
    return n === 0 ? base : alertId(rt.rule.name, match, tsField, n);
  };

  const record = async (id: string, patch: Partial<AlertDoc>) => {
    if (deps.noWriteback) return;
    await deps.writeback.updateAlert(id, patch).catch((err: unknown) => {
      deps.logger.error(
        { id, err: errorMessage(err) },
        'could not record the delivery in the writeback index',
      );
    });
  };

  /**
   * Queues the alert for every alerter of the rule that has not got it yet; when all are done,
   * records alert_sent (true only when every alerter got it).
   */
  function deliver(
    rt: RuntimeRule,
    id: string | undefined,
    matches: Match[],
    delivered: string[],
  ): Promise<boolean> {
    const alerters = alertersOf(rt);
    const todo = alerters
      .map((alerter, i) => ({ alerter, i, key: `${i}:${alerter.type}` }))
      .filter((a) => !delivered.includes(a.key));
    if (id) inFlight.add(id);
    let lastError: string | undefined;
    const results = todo.map(
      ({ alerter, i, key }) =>
        new Promise<void>((resolve) => {
          const done = (outcome: SendOutcome) => {
            if (outcome.ok) {
              delivered.push(key);
              deps.onSent?.(rt.rule.name, alerter.type);
              deps.logger.info(
                { rule: rt.rule.name, alerter: alerter.type, matches: matches.length },
                'alert sent',
              );
            } else {
              lastError = redactText(outcome.reason, alerter.secrets());
              deps.onFailed?.(rt.rule.name, alerter.type, lastError);
              deps.logger.error(
                {
                  rule: rt.rule.name,
                  alerter: alerter.type,
                  retryable: outcome.retryable,
                  reason: lastError,
                },
                'alert not delivered',
              );
            }
            resolve();
          };
          let content: AlertContent;
          try {
            content = contentFor(rt, i, matches, deps.renderJinja);
          } catch (err) {
            done({ ok: false, retryable: false, reason: `cannot format the alert: ${errorMessage(err)}` });
            return;
          }
          dispatcherFor(alerter).enqueue({ alerter, content, done });
        }),
    );
    const finished = Promise.all(results).then(async () => {
      const ok = delivered.length >= alerters.length;
      if (id) {
        await record(
          id,
          ok
            ? { alert_sent: true, esalert_delivered: delivered }
            : {
                alert_sent: false,
                alert_exception: lastError ?? 'not delivered',
                esalert_delivered: delivered,
              },
        );
        inFlight.delete(id);
      }
      return ok;
    });
    const tracked = finished.then(() => {});
    deliveries.add(tracked);
    void tracked.finally(() => deliveries.delete(tracked));
    return finished;
  }

  async function writeSilence(rt: RuntimeRule, silence: { key: string; entry: SilenceEntry } | undefined) {
    if (!silence || deps.noWriteback) return;
    await deps.writeback
      .writeSilence(silence.key, silence.entry, toIso(now()))
      .catch((err: unknown) =>
        deps.logger.error(
          { rule: rt.rule.name, err: errorMessage(err) },
          'could not record the realert silence',
        ),
      );
  }

  async function alertNow(
    rt: RuntimeRule,
    match: Match,
    silence: { key: string; entry: SilenceEntry } | undefined,
  ): Promise<SinkOutcome> {
    const id = nextId(rt, match);
    const doc = baseDoc(rt, match, now());
    if (!deps.noWriteback) {
      let created: 'created' | 'exists';
      try {
        created = await deps.writeback.createAlert(id, doc);
      } catch (err) {
        deps.logger.error(
          { rule: rt.rule.name, err: errorMessage(err) },
          'cannot record the alert in the writeback index; sending it and recording it later',
        );
        unrecorded.push({ id, doc });
        await writeSilence(rt, silence);
        const delivered: string[] = [];
        void deliver(rt, undefined, [match], delivered).then((ok) => {
          doc.esalert_delivered = delivered;
          doc.alert_sent = ok;
        });
        return { outcome: 'alerted' };
      }
      if (created === 'exists') {
        deps.logger.info(
          { rule: rt.rule.name, id },
          'alert already recorded (window evaluated again); not sending it twice',
        );
        await writeSilence(rt, silence);
        return { outcome: 'already-alerted' };
      }
    }
    await writeSilence(rt, silence);
    void deliver(rt, deps.noWriteback ? undefined : id, [match], []);
    return { outcome: 'alerted' };
  }

  async function aggregate(
    rt: RuntimeRule,
    match: Match,
    silence: { key: string; entry: SilenceEntry } | undefined,
  ): Promise<SinkOutcome> {
    const o = rt.rule.options;
    const agg = o.aggregation;
    if (agg.kind === 'none') return { outcome: 'alerted' };
    const keyValue = o.aggregationKey ? lookupField(match, o.aggregationKey) : undefined;
    const aggKey = keyValue === undefined ? undefined : pythonStr(keyValue);
    const slots = aggregates.get(rt.rule.name) ?? new Map<string, AggregateSlot>();
    aggregates.set(rt.rule.name, slots);
    const slotKey = aggKey ?? '';
    const matchTs = parseTimestamp(lookupField(match, o.timestampField));
    const compare = o.aggregationComparedWithTimestampField ? (matchTs ?? now()) : now();
    let slot = slots.get(slotKey);
    if (!slot || slot.alertTime < compare) {
      const pending = deps.noWriteback
        ? undefined
        : await deps.writeback.pendingAggregate(rt.rule.name, toIso(now()), aggKey).catch(() => undefined);
      if (pending) {
        slot = { id: pending.id, alertTime: parseTimestamp(pending.doc.alert_time) ?? now() };
      } else {
        const alertTime =
          agg.kind === 'schedule'
            ? agg.cron.next(now(), o.timezone)
            : o.aggregateByMatchTime
              ? (matchTs ?? now()) + agg.ms
              : now() + agg.ms;
        slot = { id: undefined, alertTime };
      }
      slots.set(slotKey, slot);
    }
    const id = nextId(rt, match);
    const doc: AlertDoc = {
      ...baseDoc(rt, match, slot.alertTime),
      ...(slot.id ? { aggregate_id: slot.id } : {}),
      ...(aggKey ? { aggregation_key: aggKey } : {}),
    };
    if (deps.noWriteback) {
      memoryAggregates.push({ rt, id, doc });
    } else if ((await deps.writeback.createAlert(id, doc)) === 'exists') {
      deps.logger.info({ rule: rt.rule.name, id }, 'aggregated match already recorded');
      return { outcome: 'already-alerted' };
    }
    if (!slot.id) slot.id = id;
    await writeSilence(rt, silence);
    deps.logger.info(
      { rule: rt.rule.name, aggregation_key: aggKey, alert_time: toIso(slot.alertTime) },
      'match added to an aggregation',
    );
    return { outcome: 'aggregated', alertTime: toIso(slot.alertTime) };
  }

  async function flushMemoryAggregates(): Promise<number> {
    const due = memoryAggregates.filter((a) => (parseTimestamp(a.doc.alert_time) ?? 0) <= now());
    const byHead = new Map<string, { rt: RuntimeRule; matches: Match[] }>();
    for (const a of due) {
      const head = a.doc.aggregate_id ?? a.id;
      const g = byHead.get(head) ?? { rt: a.rt, matches: [] };
      g.matches.push(a.doc.match_body);
      byHead.set(head, g);
      memoryAggregates.splice(memoryAggregates.indexOf(a), 1);
    }
    for (const [head, g] of byHead) {
      void deliver(g.rt, undefined, g.matches, []);
      const slots = aggregates.get(g.rt.rule.name);
      for (const [k, s] of slots ?? []) if (s.id === head) slots!.delete(k);
    }
    return byHead.size;
  }

  return {
    async accept(rt, match, decision) {
      if (rt.rule.options.aggregation.kind !== 'none') return aggregate(rt, match, decision.silence);
      return alertNow(rt, match, decision.silence);
    },

    async flushDue(rules, signal) {
      if (deps.noWriteback) return flushMemoryAggregates();
      // alerts that could not be recorded when they happened (writeback was down)
      while (unrecorded.length > 0) {
        const u = unrecorded[0]!;
        try {
          await deps.writeback.createAlert(u.id, u.doc);
        } catch {
          break;
        }
        unrecorded.shift();
      }
      let started = 0;
      const t = now();
      const pending = await deps.writeback.pendingAlerts(toIso(t - deps.alertTimeLimitMs), toIso(t), 1000);
      for (const p of pending) {
        if (signal?.aborted) break;
        if (inFlight.has(p.id)) continue;
        const rt = rules.get(p.doc.rule_name);
        if (!rt) continue; // rule not loaded (any more): keep the alert until it is, or it expires
        // Searches lag behind writes; a realtime read says whether it is really still unsent.
        const current = await deps.writeback.getAlert(p.id).catch(() => p.doc);
        if (!current || current.alert_sent || inFlight.has(p.id)) continue;
        p.doc = current;
        const members = await deps.writeback.aggregateMembers(p.id, deps.maxAggregation);
        const matches = [p.doc.match_body, ...members.map((m) => m.doc.match_body)];
        started++;
        void deliver(rt, p.id, matches, [...(p.doc.esalert_delivered ?? [])]).then(async (ok) => {
          if (!ok) return;
          for (const m of members) await record(m.id, { alert_sent: true });
          const slots = aggregates.get(rt.rule.name);
          for (const [k, s] of slots ?? []) if (s.id === p.id) slots!.delete(k);
        });
      }
      return started;
    },

    async drain(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([Promise.all([...deliveries]), timeout]);
      clearTimeout(timer);
      for (const d of dispatchers.values()) d.stop();
      await Promise.all([...deliveries]);
    },

    queued() {
      return Object.fromEntries([...dispatchers].map(([channel, d]) => [channel, d.pending]));
    },
  };
}
