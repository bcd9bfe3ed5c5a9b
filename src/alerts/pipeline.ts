/**
 * The alert pipeline: everything between "this match passed silence/realert" and "the message
 * arrived", in one place.
 *
 * - Each alert is recorded in the writeback index (alert_sent: false) under an id derived from
 *   the match before anything is sent, so a replayed window (after a crash) finds it and does
 *   not alert twice, and an alert that could not be delivered is retried after a restart.
 * - Each alerter of a rule is delivered to on its own: a retry goes only to the channels that
 *   have not got the alert yet (esalert_delivered).
 * - Retryable failures are retried with backoff; permanent ones are recorded and reported.
 * - Aggregation collects matches under a head document until its alert_time, then sends them
 *   as one alert (ElastAlert 2's scheme, which survives restarts).
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { AlertContent, Alerter, SendOutcome } from '../alerters/alerter.ts';
import type { Clock } from '../app/clock.ts';
import type { MatchSink } from '../engine/run-rule.ts';
import type { RuntimeRule } from '../engine/runtime-rule.ts';
import { errorMessage } from '../errors/esalert-error.ts';
import type { Match } from '../ruletypes/rule-type.ts';
import type { AlertDoc, SilenceEntry, WritebackStore } from '../state/writeback.ts';
import { type Doc, lookupField, pythonStr } from '../util/lookup.ts';
import { redactDeep, redactText } from '../util/redact.ts';
import { parseTimestamp, toIso } from '../util/time.ts';
import { alertBody, alertTitle, type JinjaRenderer, matchString } from './alert-text.ts';

export interface RetryPolicy {
  /** Attempts per delivery pass (the pending-alert loop makes further passes later). */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface PipelineDeps {
  clock: Clock;
  logger: Logger;
  writeback: WritebackStore;
  alertTimeLimitMs: number;
  maxAggregation: number;
  retry?: RetryPolicy;
  /** Renders Jinja templates (alert_text_type: alert_text_jinja). */
  renderJinja?: JinjaRenderer;
  /** Waits between retries; tests pass a fake. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
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
  /** Stops starting new deliveries (shutdown); in-flight ones finish. */
  close(): void;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 1000, maxDelayMs: 30_000 };

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

function alerterOptions(rt: RuntimeRule, index: number): Doc {
  const spec = rt.rule.options.alerts[index];
  return spec ? { ...rt.rule.raw, ...spec.options } : rt.rule.raw;
}

function contentFor(
  rt: RuntimeRule,
  index: number,
  matches: Match[],
  renderJinja: JinjaRenderer | undefined,
): AlertContent {
  const options = alerterOptions(rt, index);
  const src = {
    raw: options,
    name: rt.rule.name,
    matchText: (m: Match) => rt.ruleType.matchText(m),
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
  const closing = new AbortController();
  const inFlight = new Set<string>();
  /** Per rule: the aggregate each aggregation key currently collects into. */
  const aggregates = new Map<string, Map<string, AggregateSlot>>();
  /** Matches whose alert document could not be written (writeback down): kept and retried. */
  const unrecorded: {
    rt: RuntimeRule;
    id: string;
    docs: { id: string; doc: AlertDoc }[];
    matches: Match[];
  }[] = [];
  const seqs = new Map<string, number>();

  const now = () => deps.clock.now();
  const alertersOf = (rt: RuntimeRule) => deps.overrideAlerters?.(rt) ?? rt.rule.alerters;
  const secretsOf = (rt: RuntimeRule) => alertersOf(rt).flatMap((a) => a.secrets());

  const baseDoc = (rt: RuntimeRule, match: Match, alertTime: number): AlertDoc => {
    const o = rt.rule.options;
    const secrets = secretsOf(rt);
    const doc: AlertDoc = {
      match_body: redactDeep(match, secrets),
      rule_name: rt.rule.name,
      alert_info: redactDeep(alertersOf(rt)[0]?.info() ?? {}, secrets),
      alert_sent: false,
      alert_time: toIso(alertTime),
      '@timestamp': toIso(now()),
    };
    const matchTime = lookupField(match, o.timestampField);
    if (matchTime !== undefined) doc.match_time = matchTime;
    if (rt.rule.raw.include_match_in_root === true) {
      for (const [k, v] of Object.entries(match)) if (!k.startsWith('_')) doc[k] = redactDeep(v, secrets);
    }
    return doc;
  };

  const nextId = (rt: RuntimeRule, match: Match) => {
    const base = alertId(rt.rule.name, match, rt.rule.options.timestampField, 0);
    const n = seqs.get(base) ?? 0;
    seqs.set(base, n + 1);
    if (seqs.size > 100_000) seqs.clear();
    return n === 0 ? base : alertId(rt.rule.name, match, rt.rule.options.timestampField, n);
  };

  async function sendWithRetries(
    rt: RuntimeRule,
    alerter: Alerter,
    content: AlertContent,
    signal: AbortSignal,
  ): Promise<SendOutcome> {
    let outcome: SendOutcome = { ok: false, retryable: false, reason: 'not sent' };
    for (let attempt = 1; attempt <= retry.attempts; attempt++) {
      outcome = await alerter
        .send(content, signal)
        .catch((err: unknown): SendOutcome => ({ ok: false, retryable: false, reason: errorMessage(err) }));
      if (outcome.ok || !outcome.retryable || signal.aborted) return outcome;
      const backoff = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
      const wait = outcome.retryAfterMs ?? backoff;
      if (attempt === retry.attempts || wait > retry.maxDelayMs) break;
      deps.logger.warn(
        {
          rule: rt.rule.name,
          alerter: alerter.type,
          attempt,
          reason: redactText(outcome.reason, alerter.secrets()),
        },
        `delivery failed; retrying in ${wait} ms`,
      );
      await sleep(wait, signal);
    }
    return outcome;
  }

  /** Delivers to every alerter of the rule that has not got this alert yet; records the result. */
  async function deliver(
    rt: RuntimeRule,
    id: string | undefined,
    matches: Match[],
    delivered: string[],
    signal: AbortSignal,
  ): Promise<boolean> {
    const alerters = alertersOf(rt);
    let lastError: string | undefined;
    for (const [i, alerter] of alerters.entries()) {
      const key = `${i}:${alerter.type}`;
      if (delivered.includes(key)) continue;
      const content = contentFor(rt, i, matches, deps.renderJinja);
      const outcome = await sendWithRetries(rt, alerter, content, signal);
      if (outcome.ok) {
        delivered.push(key);
        deps.onSent?.(rt.rule.name, alerter.type);
        deps.logger.info(
          { rule: rt.rule.name, alerter: alerter.type, matches: matches.length },
          'alert sent',
        );
        if (id && !deps.noWriteback)
          await deps.writeback.updateAlert(id, { esalert_delivered: delivered }).catch(() => {});
      } else {
        lastError = redactText(outcome.reason, alerter.secrets());
        deps.onFailed?.(rt.rule.name, alerter.type, lastError);
        deps.logger.error(
          { rule: rt.rule.name, alerter: alerter.type, retryable: outcome.retryable, reason: lastError },
          'alert not delivered',
        );
      }
    }
    const done = delivered.length >= alerters.length;
    if (id && !deps.noWriteback) {
      await deps.writeback
        .updateAlert(
          id,
          done
            ? { alert_sent: true, esalert_delivered: delivered }
            : {
                alert_sent: false,
                alert_exception: lastError ?? 'not delivered',
                esalert_delivered: delivered,
              },
        )
        .catch((err: unknown) =>
          deps.logger.error({ err: errorMessage(err) }, 'could not record the delivery'),
        );
    }
    return done;
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
    matches: Match[],
    silence: { key: string; entry: SilenceEntry } | undefined,
  ): Promise<void> {
    const alertTime = now();
    const ids = matches.map((m) => nextId(rt, m));
    const docs = matches.map((m, i) => ({
      id: ids[i]!,
      doc: { ...baseDoc(rt, m, alertTime), ...(i > 0 ? { aggregate_id: ids[0]! } : {}) },
    }));
    if (!deps.noWriteback) {
      try {
        const created = await deps.writeback.createAlert(docs[0]!.id, docs[0]!.doc);
        if (created === 'exists') {
          deps.logger.info(
            { rule: rt.rule.name, id: ids[0] },
            'alert already recorded (window evaluated again); not sending it twice',
          );
          await writeSilence(rt, silence);
          return;
        }
        for (const d of docs.slice(1)) await deps.writeback.createAlert(d.id, d.doc);
      } catch (err) {
        deps.logger.error(
          { rule: rt.rule.name, err: errorMessage(err) },
          'cannot record the alert in the writeback index; sending it and keeping it to record later',
        );
        unrecorded.push({ rt, id: ids[0]!, docs, matches });
        await writeSilence(rt, silence);
        const delivered: string[] = [];
        const ok = await deliver(rt, undefined, matches, delivered, closing.signal);
        docs[0]!.doc.esalert_delivered = delivered;
        if (ok) docs[0]!.doc.alert_sent = true;
        return;
      }
    }
    await writeSilence(rt, silence);
    inFlight.add(ids[0]!);
    try {
      await deliver(rt, ids[0], matches, [], closing.signal);
    } finally {
      inFlight.delete(ids[0]!);
    }
  }

  async function aggregate(
    rt: RuntimeRule,
    match: Match,
    silence: { key: string; entry: SilenceEntry } | undefined,
  ): Promise<void> {
    const o = rt.rule.options;
    const agg = o.aggregation;
    if (agg.kind === 'none') return;
    const keyValue = o.aggregationKey ? lookupField(match, o.aggregationKey) : undefined;
    const aggKey = keyValue === undefined ? undefined : pythonStr(keyValue);
    const slots = aggregates.get(rt.rule.name) ?? new Map<string, AggregateSlot>();
    aggregates.set(rt.rule.name, slots);
    const slotKey = aggKey ?? '';
    const compare = o.aggregationComparedWithTimestampField
      ? (parseTimestamp(lookupField(match, o.timestampField)) ?? now())
      : now();
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
              ? (parseTimestamp(lookupField(match, o.timestampField)) ?? now()) + agg.ms
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
    if (!deps.noWriteback) {
      const created = await deps.writeback.createAlert(id, doc);
      if (created === 'exists') {
        deps.logger.info({ rule: rt.rule.name, id }, 'aggregated match already recorded');
        return;
      }
    } else {
      memoryAggregates.push({ rt, id, doc });
    }
    if (!slot.id) slot.id = id;
    await writeSilence(rt, silence);
    deps.logger.info(
      { rule: rt.rule.name, aggregation_key: aggKey, alert_time: toIso(slot.alertTime) },
      'match added to aggregation',
    );
  }

  /** Without a writeback store (--debug), aggregates are kept here. */
  const memoryAggregates: { rt: RuntimeRule; id: string; doc: AlertDoc }[] = [];

  return {
    async accept(rt, match, decision) {
      if (closing.signal.aborted) {
        deps.logger.warn({ rule: rt.rule.name }, 'shutting down: match recorded for sending after restart');
      }
      if (rt.rule.options.aggregation.kind !== 'none') await aggregate(rt, match, decision.silence);
      else await alertNow(rt, [match], decision.silence);
    },

    async flushDue(rules, signal) {
      const abort = signal ? AbortSignal.any([signal, closing.signal]) : closing.signal;
      let sent = 0;
      // 1. alerts that never got recorded (writeback was down)
      for (const u of unrecorded.splice(0)) {
        try {
          // recorded now; if it is still unsent the pending pass below retries it
          for (const d of u.docs) await deps.writeback.createAlert(d.id, d.doc);
        } catch {
          unrecorded.push(u);
          break;
        }
      }
      // 2. in-memory aggregates (no writeback)
      if (deps.noWriteback && memoryAggregates.length) {
        const due = memoryAggregates.filter((a) => (parseTimestamp(a.doc.alert_time) ?? 0) <= now());
        const byHead = new Map<string, { rt: RuntimeRule; matches: Match[] }>();
        for (const a of due) {
          const head = a.doc.aggregate_id ?? a.id;
          const g = byHead.get(head) ?? { rt: a.rt, matches: [] };
          g.matches.push(a.doc.match_body);
          byHead.set(head, g);
          memoryAggregates.splice(memoryAggregates.indexOf(a), 1);
        }
        for (const [, g] of byHead) {
          if (await deliver(g.rt, undefined, g.matches, [], abort)) sent++;
          aggregates.get(g.rt.rule.name)?.clear();
        }
        return sent;
      }
      if (deps.noWriteback) return sent;
      // 3. unsent alerts and due aggregates from the writeback index
      const t = now();
      const pending = await deps.writeback.pendingAlerts(toIso(t - deps.alertTimeLimitMs), toIso(t), 1000);
      for (const p of pending) {
        if (abort.aborted) break;
        if (inFlight.has(p.id)) continue;
        const rt = rules.get(p.doc.rule_name);
        if (!rt) continue; // rule not loaded (any more): keep the alert until it is, or it expires
        const members = await deps.writeback.aggregateMembers(p.id, deps.maxAggregation);
        const matches = [p.doc.match_body, ...members.map((m) => m.doc.match_body)];
        inFlight.add(p.id);
        try {
          const ok = await deliver(rt, p.id, matches, [...(p.doc.esalert_delivered ?? [])], abort);
          if (ok) {
            sent++;
            for (const m of members)
              await deps.writeback.updateAlert(m.id, { alert_sent: true }).catch(() => {});
            const slots = aggregates.get(rt.rule.name);
            for (const [k, s] of slots ?? []) if (s.id === p.id) slots!.delete(k);
          }
        } finally {
          inFlight.delete(p.id);
        }
      }
      return sent;
    },

    close() {
      closing.abort();
    },
  };
}
