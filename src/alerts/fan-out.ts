/**
 * Fan-out: an alert goes to each alerter of its rule that has not got it yet, through the queue
 * of that alerter's channel (channel-dispatcher.ts: rate limits, digests, retries), and the
 * alert log is told the outcome once every channel has answered (mark-sent.ts). Rule runs do not
 * wait for deliveries.
 *
 * Failure policy: each channel's outcome is its own. An alert that cannot be formatted for one
 * alerter fails for that alerter only (permanently); alert_sent turns true when all got it.
 * Each hand-over to a channel and its outcome is recorded on the alert (esalert_attempts).
 */
import type { Logger } from 'pino';
import type { AlertContent, Alerter, SendOutcome } from '../alerters/alerter.ts';
import type { RuntimeRule } from '../engine/runtime-rule.ts';
import { errorMessage } from '../errors/esalert-error.ts';
import type { JinjaRenderer } from '../format/alert-text.ts';
import { timerDelay } from '../model/clock.ts';
import type { Match } from '../model/match.ts';
import type { Clock } from '../model/clock.ts';
import { ATTEMPTS_KEPT, type DeliveryAttempt } from '../state/writeback.ts';
import { redactText } from '../util/redact.ts';
import { toIso } from '../util/time.ts';
import { alertContent } from './alert-content.ts';
import { ChannelDispatcher, type RetryPolicy } from './channel-dispatcher.ts';
import type { MarkSent } from './mark-sent.ts';

export interface FanOutDeps {
  /** When each delivery attempt happened (the rule's clock). */
  clock: Pick<Clock, 'now'>;
  logger: Logger;
  retry: RetryPolicy;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** Time for channel rate limits (real time even in backfills). */
  monotonic(): number;
  /** The alerters of a rule (its own, or what the run uses instead: --debug, dry runs). */
  alerters(rt: RuntimeRule): Alerter[];
  renderJinja: JinjaRenderer | undefined;
  markSent: MarkSent;
  onSent?: (rule: string, alerter: string) => void;
  onFailed?: (rule: string, alerter: string, reason: string, retryable: boolean) => void;
  /**
   * Replicas: whether this instance still runs the rule. An alert of a rule it no longer runs is
   * not sent, and its record is left to the rule's new owner, which sends it from the alert log.
   */
  holds?: (rule: string) => boolean;
}

/** An alert that has not reached every alerter of its rule (yet). */
export interface Undelivered {
  rule: string;
  /** The alert document's id, when it was recorded. */
  id: string | undefined;
  /** The alerters that did not get it. */
  alerters: string[];
  matches: number;
  reason: string;
}

export interface FanOut {
  /**
   * Queues the alert for every alerter of the rule not in `delivered` (which grows as they get
   * it); resolves true when all have it. With an `id`, the alert log is told the outcome and
   * each attempt, after the `earlier` ones.
   */
  deliver(
    rt: RuntimeRule,
    id: string | undefined,
    matches: Match[],
    delivered: string[],
    earlier?: DeliveryAttempt[],
  ): Promise<boolean>;
  /** Alert documents whose delivery is under way (the outbox leaves them alone). */
  readonly inFlight: ReadonlySet<string>;
  /** Waits until queued deliveries are done, or `timeoutMs` passed; then stops sending. */
  drain(timeoutMs: number): Promise<void>;
  /**
   * Waits until no delivery is under way (those started meanwhile included), or `timeoutMs`
   * passed; sending goes on. Resolves true when nothing is under way.
   */
  settle(timeoutMs: number): Promise<boolean>;
  /** Alerts whose last delivery left some alerter without them (a later delivery that succeeds removes them). */
  undelivered(): Undelivered[];
  /** Alerts queued for delivery, by channel. */
  queued(): Record<string, number>;
}

/** How many undelivered alerts are listed at most (the oldest leave the list first). */
export const UNDELIVERED_LISTED = 1000;

export function createFanOut(deps: FanOutDeps): FanOut {
  const dispatchers = new Map<string, ChannelDispatcher>();
  const inFlight = new Set<string>();
  const deliveries = new Set<Promise<void>>();
  const failed = new Map<string, Undelivered>();
  let unrecorded = 0;

  const dispatcherFor = (alerter: Alerter) => {
    let d = dispatchers.get(alerter.channel);
    if (!d)
      dispatchers.set(
        alerter.channel,
        (d = new ChannelDispatcher(alerter.channel, {
          now: deps.monotonic,
          logger: deps.logger,
          retry: deps.retry,
          sleep: deps.sleep,
        })),
      );
    return d;
  };

  function deliver(
    rt: RuntimeRule,
    id: string | undefined,
    matches: Match[],
    delivered: string[],
    earlier: DeliveryAttempt[] = [],
  ): Promise<boolean> {
    const attempts = [...earlier];
    const alerters = deps.alerters(rt);
    const todo = alerters
      .map((alerter, i) => ({ alerter, i, key: `${i}:${alerter.type}` }))
      .filter((a) => !delivered.includes(a.key));
    if (id) inFlight.add(id);
    const key = id ?? `unrecorded-${++unrecorded}`;
    let lastError: string | undefined;
    const results = todo.map(
      ({ alerter, i, key }) =>
        new Promise<void>((resolve) => {
          const done = (outcome: SendOutcome) => {
            attempts.push({
              at: toIso(deps.clock.now()),
              alerter: key,
              ok: outcome.ok,
              ...(outcome.ok
                ? {}
                : { error: redactText(outcome.reason, alerter.secrets()), retryable: outcome.retryable }),
            });
            if (outcome.ok) {
              delivered.push(key);
              deps.onSent?.(rt.rule.name, alerter.type);
              deps.logger.info(
                { rule: rt.rule.name, alerter: alerter.type, matches: matches.length },
                'alert sent',
              );
            } else {
              lastError = redactText(outcome.reason, alerter.secrets());
              deps.onFailed?.(rt.rule.name, alerter.type, lastError, outcome.retryable);
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
            content = alertContent(rt, i, alerter, matches, deps.renderJinja);
          } catch (err) {
            done({ ok: false, retryable: false, reason: `cannot format the alert: ${errorMessage(err)}` });
            return;
          }
          const holds = deps.holds;
          dispatcherFor(alerter).enqueue({
            alerter,
            content,
            done,
            ...(holds ? { mayStillSend: () => holds(rt.rule.name) } : {}),
          });
        }),
    );
    const finished = Promise.all(results).then(async () => {
      const ok = delivered.length >= alerters.length;
      if (id && deps.holds?.(rt.rule.name) === false) {
        inFlight.delete(id);
        return false;
      }
      if (ok) failed.delete(key);
      else {
        failed.delete(key);
        // the list is for the end-of-run report; the writeback keeps every unsent alert
        if (failed.size >= UNDELIVERED_LISTED) failed.delete(failed.keys().next().value!);
        failed.set(key, {
          rule: rt.rule.name,
          id,
          alerters: alerters.filter((a, i) => !delivered.includes(`${i}:${a.type}`)).map((a) => a.type),
          matches: matches.length,
          reason: lastError ?? 'not delivered',
        });
      }
      if (id) {
        await deps.markSent(
          id,
          ok
            ? {
                alert_sent: true,
                esalert_delivered: delivered,
                esalert_attempts: attempts.slice(-ATTEMPTS_KEPT),
              }
            : {
                alert_sent: false,
                alert_exception: lastError ?? 'not delivered',
                esalert_delivered: delivered,
                esalert_attempts: attempts.slice(-ATTEMPTS_KEPT),
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

  return {
    deliver,
    inFlight,
    async drain(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timerDelay(timeoutMs))));
      await Promise.race([Promise.all([...deliveries]), timeout]);
      clearTimeout(timer);
      for (const d of dispatchers.values()) d.stop();
      await Promise.all([...deliveries]);
    },
    async settle(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      let expired = false;
      const timeout = new Promise<void>(
        (resolve) =>
          (timer = setTimeout(() => {
            expired = true;
            resolve();
          }, timeoutMs)),
      );
      while (deliveries.size > 0 && !expired) await Promise.race([Promise.all([...deliveries]), timeout]);
      clearTimeout(timer);
      return deliveries.size === 0;
    },
    undelivered: () => [...failed.values()],
    queued() {
      return Object.fromEntries([...dispatchers].map(([channel, d]) => [channel, d.pending]));
    },
  };
}
