/**
 * send_resolved: the firing keys of each rule, and the resolved notification when one clears.
 *
 * A match starts (or continues) the firing of its key, whether or not it was silenced; the key
 * counts as notified once a firing notification for it got through. When the rule type says the
 * key cleared (flatline, spike), or no match came for it for its quiet time (frequency: its
 * timeframe; the rest: resolve_timeout), a notified key gets one resolved notification through
 * the rule's alerters, never silenced; a key never notified is forgotten without one. A key that
 * clears while its notification is still under way is resolved once it got through.
 *
 * Failure policy: firing state that cannot be read fails the run (as a silence that cannot be
 * read does), so a key is never taken for not firing; state that cannot be saved is logged and
 * saved with the next change. A resolved notification is recorded in the alert log before it is
 * sent, as a firing alert is: one that is not delivered (after the channel's retries) stays
 * unsent there, is listed as undelivered, and the outbox sends it again (after a restart too)
 * within alert_time_limit.
 */
import type { Logger } from 'pino';
import type { Alerter } from '../alerters/alerter.ts';
import type { RuntimeRule } from '../engine/runtime-rule.ts';
import { errorMessage } from '../errors/esalert-error.ts';
import type { Clock } from '../model/clock.ts';
import { keyOf, lookupField } from '../model/lookup.ts';
import type { Match } from '../model/match.ts';
import type { FiringEntry, FiringStore } from '../state/firing-store.ts';
import { redactDeep } from '../util/redact.ts';
import { parseTimestamp } from '../util/time.ts';
import { resolvedMatch } from './resolved-match.ts';

export interface ResolveDeps {
  clock: Clock;
  logger: Logger;
  firing: FiringStore;
  alerters(rt: RuntimeRule): Alerter[];
  /**
   * Records a resolved notification of `key` in the alert log and sends it to every alerter of
   * the rule; true when all got it (false: the outbox sends it again from the alert log).
   */
  deliver(rt: RuntimeRule, match: Match, key: string): Promise<boolean>;
  /** A firing notification not delivered within this time (wall clock) will not be: forget its key. */
  alertTimeLimitMs: number;
}

export interface Resolve {
  /** A match of the rule, before silences; `notifying`: its firing notification is on its way. */
  seen(rt: RuntimeRule, match: Match, notifying: boolean): Promise<void>;
  /** The firing notification of these matches got through (or not). */
  delivered(rt: RuntimeRule, matches: Match[], ok: boolean): Promise<void>;
  /** The end of a run whose window was queried up to `completedTo` (event time). */
  finish(rt: RuntimeRule, completedTo: number | undefined): Promise<void>;
  /** Resolved notifications under way. */
  drain(): Promise<void>;
  /**
   * Reads the rule's firing state from the store again at its next use: another instance may
   * have run the rule meanwhile (a lease taken over).
   */
  forget(ruleName: string): void;
}

/** The key a match fires for: the rule type's own, else its query_key value, else "all". */
export function firingKeyOf(rt: RuntimeRule, match: Match): string {
  const own = rt.ruleType.firingKey?.(match);
  if (own !== undefined) return own;
  const qk = rt.rule.options.queryKey;
  return qk ? keyOf(lookupField(match, qk)) : 'all';
}

interface RuleFiring {
  entries: Map<string, FiringEntry>;
  /** Keys whose resolved notification is on its way. */
  resolving: Set<string>;
  saving: Promise<void>;
}

export function createResolve(deps: ResolveDeps): Resolve {
  const rules = new Map<string, Promise<RuleFiring>>();
  const sending = new Set<Promise<void>>();

  const firingOf = (rt: RuntimeRule): Promise<RuleFiring> => {
    const name = rt.rule.name;
    let f = rules.get(name);
    if (!f) {
      f = deps.firing.loadFiring(name).then((list) => ({
        entries: new Map(list.map((e) => [e.key, e])),
        resolving: new Set<string>(),
        saving: Promise.resolve(),
      }));
      // a failed read is tried again by the next run
      f.catch(() => rules.delete(name));
      rules.set(name, f);
    }
    return f;
  };

  const save = (rt: RuntimeRule, f: RuleFiring): Promise<void> => {
    f.saving = f.saving.then(() =>
      deps.firing.saveFiring(rt.rule.name, [...f.entries.values()]).catch((err: unknown) => {
        deps.logger.error(
          { rule: rt.rule.name, err: errorMessage(err) },
          'could not save which alerts are firing; saving it with the next change',
        );
      }),
    );
    return f.saving;
  };

  const eventTime = (rt: RuntimeRule, match: Match) =>
    parseTimestamp(lookupField(match, rt.rule.options.timestampField)) ?? deps.clock.now();

  const sendResolved = (rt: RuntimeRule, f: RuleFiring, entry: FiringEntry, at: number) => {
    f.resolving.add(entry.key);
    const match = resolvedMatch(entry, at, rt.rule.options.timestampField);
    const sent = deps
      .deliver(rt, match, entry.key)
      .catch(() => false)
      .then(async (ok) => {
        f.resolving.delete(entry.key);
        // a match after the clearing started a new episode under the same key: keep that one
        if (f.entries.get(entry.key) === entry && entry.lastMatchAt < at) f.entries.delete(entry.key);
        if (ok) deps.logger.info({ rule: rt.rule.name, key: entry.key }, 'resolved notification sent');
        else
          deps.logger.error(
            { rule: rt.rule.name, key: entry.key },
            'resolved notification not delivered yet; the alert log keeps it unsent and the outbox sends it again',
          );
        await save(rt, f);
      });
    sending.add(sent);
    void sent.finally(() => sending.delete(sent));
  };

  /** The key cleared at `at`: resolve it, wait for its notification, or forget it. */
  const cleared = (rt: RuntimeRule, f: RuleFiring, entry: FiringEntry, at: number) => {
    if (f.resolving.has(entry.key)) return;
    switch (entry.delivery) {
      case 'none':
        f.entries.delete(entry.key);
        return;
      case 'pending':
        entry.clearedAt = at;
        return;
      case 'delivered':
        sendResolved(rt, f, entry, at);
        return;
    }
  };

  return {
    async seen(rt, match, notifying) {
      if (!rt.rule.resolve) return;
      const f = await firingOf(rt);
      const key = firingKeyOf(rt, match);
      const ts = eventTime(rt, match);
      const entry = f.entries.get(key);
      const secrets = deps.alerters(rt).flatMap((a) => a.secrets());
      if (!entry || f.resolving.has(key)) {
        f.entries.set(key, {
          key,
          firedAt: ts,
          lastMatchAt: ts,
          delivery: notifying ? 'pending' : 'none',
          ...(notifying ? { notifiedAt: deps.clock.now() } : {}),
          match: redactDeep(match, secrets),
        });
        return;
      }
      entry.lastMatchAt = Math.max(entry.lastMatchAt, ts);
      delete entry.clearedAt;
      if (notifying && entry.delivery === 'none') {
        // the first notification of this episode: the resolved one is built from its match
        entry.delivery = 'pending';
        entry.notifiedAt = deps.clock.now();
        entry.match = redactDeep(match, secrets);
      }
    },

    async delivered(rt, matches, ok) {
      if (!rt.rule.resolve) return;
      const f = await firingOf(rt).catch(() => undefined);
      if (!f) return;
      for (const match of matches) {
        const key = firingKeyOf(rt, match);
        const entry = f.entries.get(key);
        if (!ok) {
          // the outbox may still deliver it later (alert_sent stays false)
          if (entry?.delivery === 'pending' && entry.clearedAt !== undefined) f.entries.delete(key);
          continue;
        }
        // no entry: the key resolved meanwhile (a late delivery of an earlier match), or the rule
        // does not fire for it any more; either way nothing is firing that was not notified
        if (!entry) continue;
        entry.delivery = 'delivered';
        if (entry.clearedAt !== undefined) {
          const at = entry.clearedAt;
          delete entry.clearedAt;
          cleared(rt, f, entry, at);
        }
      }
      await save(rt, f);
    },

    async finish(rt, completedTo) {
      const observed = rt.ruleType.takeCleared?.() ?? new Map<string, number>();
      const settings = rt.rule.resolve;
      if (!settings) return;
      const f = await firingOf(rt);
      const clearing = rt.ruleType.clearing ?? { kind: 'quiet', ms: settings.timeoutMs };
      const now = deps.clock.now();
      for (const entry of [...f.entries.values()]) {
        if (entry.delivery === 'pending' && now - (entry.notifiedAt ?? now) > deps.alertTimeLimitMs) {
          // never delivered within alert_time_limit: the outbox gave up on it
          f.entries.delete(entry.key);
          continue;
        }
        if (entry.clearedAt !== undefined) continue;
        let at: number | undefined;
        if (clearing.kind === 'observed') {
          const seenAt = observed.get(entry.key);
          if (seenAt !== undefined && seenAt > entry.lastMatchAt) at = seenAt;
        } else if (completedTo !== undefined && completedTo - entry.lastMatchAt >= clearing.ms) {
          at = entry.lastMatchAt + clearing.ms;
        }
        if (at !== undefined) cleared(rt, f, entry, at);
      }
      await save(rt, f);
    },

    forget(ruleName) {
      rules.delete(ruleName);
    },
    async drain() {
      await Promise.all([...sending]);
    },
  };
}
