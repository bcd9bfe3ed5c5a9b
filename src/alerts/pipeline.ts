/**
 * The alert path: everything between "the rule type found a match" and "the message arrived",
 * as stages, each in its own file with its own failure policy (as Alertmanager composes notify):
 *
 *   suppress (silence, realert)  ->  enrich (top counts, rule params, enhancements)
 *     ->  aggregate (collect under a head until its alert time)  |  record (alert log first)
 *     ->  realert silence  ->  fan-out (each alerter of the rule)  ->  channel dispatcher
 *         (rate limits, digests, retries)  ->  mark sent
 *
 * and the outbox, which sends what the alert log holds due: aggregates whose time came, and
 * alerts left unsent. Which stores and alerters it uses is the caller's choice: the live
 * writeback, memory (--data, dry runs), or a mix (--debug), and the rule's own alerters or
 * others (--debug logs, dry runs record).
 */
import type { Logger } from 'pino';
import type { Alerter } from '../alerters/alerter.ts';
import type { MatchSink } from '../engine/run-rule.ts';
import type { RuntimeRule } from '../engine/runtime-rule.ts';
import type { JinjaRenderer } from '../format/alert-text.ts';
import { type Clock, timerDelay } from '../model/clock.ts';
import type { Match } from '../model/match.ts';
import { type FiringStore, memoryFiringStore } from '../state/firing-store.ts';
import type { Stores } from '../state/writeback.ts';
import { abortableSleep } from '../util/abortable-sleep.ts';
import { toIso } from '../util/time.ts';
import { createAggregate } from './aggregate.ts';
import { alertDocument, createAlertIds, isResolvedAlertId, resolvedAlertId } from './alert-document.ts';
import type { RetryPolicy } from './channel-dispatcher.ts';
import { enrich } from './enrich.ts';
import { createFanOut, type Undelivered } from './fan-out.ts';
import { createMarkSent } from './mark-sent.ts';
import { createOutbox } from './outbox.ts';
import { createRealertSilence } from './realert-silence.ts';
import { createRecord } from './record.ts';
import { createResolve } from './resolve.ts';
import { createSuppress } from './suppress.ts';
import type { MatchOutcome } from '../engine/run-report.ts';

export type { RetryPolicy } from './channel-dispatcher.ts';
export type { Undelivered } from './fan-out.ts';

export interface PipelineDeps {
  clock: Clock;
  logger: Logger;
  /** Where silences are read and written, and alerts recorded. */
  stores: Pick<Stores, 'silences' | 'alerts'>;
  /** Which alerts are firing (send_resolved); in memory unless given. */
  firing?: FiringStore;
  alertTimeLimitMs: number;
  maxAggregation: number;
  retry?: RetryPolicy;
  /** Renders Jinja templates (alert_text_type: alert_text_jinja). */
  renderJinja?: JinjaRenderer;
  /** Waits between retries and for rate limits; tests pass one that moves `monotonic`. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Time for channel rate limits (default: performance.now(), real time even in backfills). */
  monotonic?: () => number;
  /** The alerters of a rule: its own unless given (--debug logs instead, dry runs record). */
  alerters?: (rt: RuntimeRule) => Alerter[];
  onSent?: (rule: string, alerter: string) => void;
  onFailed?: (rule: string, alerter: string, reason: string, retryable: boolean) => void;
  /** Replicas: whether this instance still runs the rule (fan-out.ts). */
  holds?: (rule: string) => boolean;
}

export interface AlertPipeline extends MatchSink {
  /** Sends what is due: unsent alerts within alert_time_limit and aggregates whose time came. */
  flushDue(rules: ReadonlyMap<string, RuntimeRule>, signal?: AbortSignal): Promise<number>;
  /** Waits until queued deliveries are done, or `timeoutMs` passed; then stops sending. */
  drain(timeoutMs: number): Promise<void>;
  /** Waits until no delivery is under way, or `timeoutMs` passed, and goes on sending; true when idle. */
  settle(timeoutMs: number): Promise<boolean>;
  /** Alerts that have not reached every alerter of their rule; they stay unsent in the alert log. */
  undelivered(): Undelivered[];
  /** Alerts queued for delivery, by channel. */
  queued(): Record<string, number>;
  /** Drops what the path remembers of a silence key (realert), so that a lifted silence ends at once. */
  forgetSilence(key: string): void;
  /** The rule's firing state (send_resolved) is read from the store again: its lease moved here. */
  forgetFiring(ruleName: string): void;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 2000, maxDelayMs: 60_000 };

export function createAlertPipeline(deps: PipelineDeps): AlertPipeline {
  const { clock, logger } = deps;
  const { silences, alerts } = deps.stores;
  const alertersOf = deps.alerters ?? ((rt: RuntimeRule) => rt.rule.alerters);
  const ids = createAlertIds();
  const suppress = createSuppress({ clock, silences });
  const realertSilence = createRealertSilence({ clock, logger, silences });
  const record = createRecord({ alerts, logger });
  const aggregate = createAggregate({ clock, logger, alerts, alerters: alertersOf, ids });
  const markSent = createMarkSent({ alerts, logger });
  const fanOut = createFanOut({
    clock,
    logger,
    retry: deps.retry ?? DEFAULT_RETRY,
    // a delay setTimeout cannot honour (Retry-After of days) is clamped, never a busy loop
    sleep: deps.sleep ?? ((ms, signal) => abortableSleep(timerDelay(ms), signal)),
    monotonic: deps.monotonic ?? (() => performance.now()),
    alerters: alertersOf,
    renderJinja: deps.renderJinja,
    markSent,
    ...(deps.onSent ? { onSent: deps.onSent } : {}),
    ...(deps.onFailed ? { onFailed: deps.onFailed } : {}),
    ...(deps.holds ? { holds: deps.holds } : {}),
  });
  const resolve = createResolve({
    clock,
    logger,
    firing: deps.firing ?? memoryFiringStore(),
    alerters: alertersOf,
    // recorded in the alert log first, as a firing alert is: the outbox resends it if it fails
    deliver: async (rt, match, key) => {
      const id = resolvedAlertId(rt.rule.name, key, match.fired_at, match.resolved_at);
      const sent = await recordAndDeliver(rt, id, match, fanOut);
      // already recorded: an earlier process sent it, or the outbox resends it from the alert log
      return sent === 'already-alerted' ? true : sent.delivery;
    },
    alertTimeLimitMs: deps.alertTimeLimitMs,
  });
  /** Firing notifications: send_resolved learns which got through (and may send resolved ones). */
  const learning = new Set<Promise<unknown>>();
  const notify: typeof fanOut = {
    ...fanOut,
    inFlight: fanOut.inFlight,
    deliver(rt, id, matches, ...rest) {
      // a resolved notification resent by the outbox says nothing about what is firing
      if (id !== undefined && isResolvedAlertId(id)) return fanOut.deliver(rt, id, matches, ...rest);
      const done = fanOut.deliver(rt, id, matches, ...rest).then(async (ok) => {
        await resolve.delivered(rt, matches, ok);
        return ok;
      });
      learning.add(done);
      void done.finally(() => learning.delete(done));
      return done;
    },
  };
  const flushDue = createOutbox({
    clock,
    alerts,
    alertTimeLimitMs: deps.alertTimeLimitMs,
    maxAggregation: deps.maxAggregation,
    record,
    aggregate,
    fanOut: notify,
    markSent,
  });

  /**
   * Records the alert for `match` under `id`, then hands it to `via` (unless it was recorded
   * before): the delivery under way, or 'already-alerted'. When the alert log cannot be written,
   * the alert is sent all the same and its document, written later, carries what the delivery did.
   */
  async function recordAndDeliver(
    rt: RuntimeRule,
    id: string,
    match: Match,
    via: typeof fanOut,
    whenRecorded: () => Promise<void> = async () => {},
  ): Promise<{ delivery: Promise<boolean> } | 'already-alerted'> {
    const doc = alertDocument(rt, alertersOf(rt), match, clock.now(), clock.now());
    const recorded = await record.record(rt.rule.name, id, doc);
    await whenRecorded();
    if (recorded === 'exists') return 'already-alerted';
    if (recorded === 'created') return { delivery: via.deliver(rt, id, [match], []) };
    const delivered: string[] = [];
    const delivery = via.deliver(rt, undefined, [match], delivered).then((ok) => {
      doc.esalert_delivered = delivered;
      doc.alert_sent = ok;
      return ok;
    });
    return { delivery };
  }

  /** An alert for one match now: recorded first, then delivered (the run does not wait). */
  async function alertNow(
    rt: RuntimeRule,
    match: Match,
    whenRecorded: () => Promise<void>,
  ): Promise<'alerted' | 'already-alerted'> {
    const sent = await recordAndDeliver(rt, ids(rt, match), match, notify, whenRecorded);
    return sent === 'already-alerted' ? sent : 'alerted';
  }

  return {
    startRun(rt, run) {
      const checked = new Set<string>();
      const enrichRun = { search: run.search, logger: run.logger, first: true };
      return {
        async accept(match): Promise<MatchOutcome> {
          const decision = await suppress.check(rt, match, { checked, logger: run.logger });
          if (decision.silenced) {
            await resolve.seen(rt, match, false);
            return { match, outcome: 'silenced', key: decision.key, until: toIso(decision.until) };
          }
          const { silence } = decision;
          const enriched = await enrich(rt, match, enrichRun);
          if (!enriched) return { match, outcome: 'dropped', reason: 'a match enhancement dropped it' };
          const whenRecorded = () => realertSilence(rt.rule.name, silence);
          const noted = silence ? { silence: { key: silence.key, until: toIso(silence.entry.until) } } : {};
          if (rt.rule.options.aggregation.kind !== 'none') {
            const added = await aggregate.add(rt, enriched, whenRecorded);
            await resolve.seen(rt, enriched, added.outcome === 'aggregated');
            return added.outcome === 'aggregated'
              ? { match, outcome: 'aggregated', alertTime: added.alertTime, ...noted }
              : { match, outcome: 'already-alerted', ...noted };
          }
          const outcome = await alertNow(rt, enriched, whenRecorded);
          await resolve.seen(rt, enriched, outcome === 'alerted');
          return { match, outcome, ...noted };
        },
        finish: (completedTo) => resolve.finish(rt, completedTo),
      };
    },
    flushDue(rules, signal) {
      // the silence cache is pruned as often as the outbox runs (every run_every)
      suppress.forget();
      return flushDue(rules, signal);
    },
    async drain(timeoutMs) {
      // resolved notifications that wait for a firing one are queued once it got through
      const deadline = performance.now() + timeoutMs;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)));
      await Promise.race([Promise.all([...learning]), timeout]);
      clearTimeout(timer);
      await fanOut.drain(Math.max(0, deadline - performance.now()));
      await resolve.drain();
    },
    settle: (timeoutMs) => fanOut.settle(timeoutMs),
    undelivered: () => fanOut.undelivered(),
    queued: () => fanOut.queued(),
    forgetSilence: (key) => void suppress.forget(key),
    forgetFiring: (ruleName) => resolve.forget(ruleName),
  };
}
