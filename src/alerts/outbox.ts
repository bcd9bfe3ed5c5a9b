/**
 * The outbox: what the alert log holds unsent is sent when it is due. Unsent alerts within
 * alert_time_limit (left by a failed delivery or a previous process) are resent to the alerters
 * that did not get them, and aggregates whose alert time came are sent with their members.
 *
 * Failure policy: the alert log that cannot be read fails this flush (the caller logs it and
 * the next flush tries again); an alert whose realtime read fails is taken as searched.
 */
import type { RuntimeRule } from '../engine/runtime-rule.ts';
import type { Clock } from '../model/clock.ts';
import type { AlertStore } from '../state/writeback.ts';
import { toIso } from '../util/time.ts';
import type { Aggregate } from './aggregate.ts';
import type { FanOut } from './fan-out.ts';
import type { MarkSent } from './mark-sent.ts';
import type { Record } from './record.ts';

export interface OutboxDeps {
  clock: Clock;
  alerts: Pick<AlertStore, 'pendingAlerts' | 'getAlert' | 'aggregateMembers'>;
  alertTimeLimitMs: number;
  maxAggregation: number;
  record: Record;
  aggregate: Aggregate;
  fanOut: FanOut;
  markSent: MarkSent;
}

/** Sends what is due; resolves with the number of alerts whose delivery started. */
export function createOutbox(
  deps: OutboxDeps,
): (rules: ReadonlyMap<string, RuntimeRule>, signal?: AbortSignal) => Promise<number> {
  return async (rules, signal) => {
    // alerts that could not be recorded when they happened (writeback was down)
    await deps.record.writeUnrecorded();
    let started = 0;
    const t = deps.clock.now();
    const pending = await deps.alerts.pendingAlerts(toIso(t - deps.alertTimeLimitMs), toIso(t), 1000);
    for (const p of pending) {
      if (signal?.aborted) break;
      if (deps.fanOut.inFlight.has(p.id)) continue;
      const rt = rules.get(p.doc.rule_name);
      if (!rt) continue; // rule not loaded (any more): keep the alert until it is, or it expires
      // Searches lag behind writes; a realtime read says whether it is really still unsent.
      const current = await deps.alerts.getAlert(p.id).catch(() => p.doc);
      if (!current || current.alert_sent || deps.fanOut.inFlight.has(p.id)) continue;
      p.doc = current;
      const members = await deps.alerts.aggregateMembers(p.id, deps.maxAggregation);
      const matches = [p.doc.match_body, ...members.map((m) => m.doc.match_body)];
      started++;
      void deps.fanOut
        .deliver(rt, p.id, matches, [...(p.doc.esalert_delivered ?? [])], p.doc.esalert_attempts ?? [])
        .then(async (ok) => {
          if (!ok) return;
          for (const m of members) await deps.markSent(m.id, { alert_sent: true });
          deps.aggregate.sent(rt.rule.name, p.id);
        });
    }
    return started;
  };
}
