/**
 * Aggregation (ElastAlert 2's scheme, which survives restarts): the matches of a rule, per
 * aggregation_key value, collect under a head document until its alert_time; the outbox then
 * sends them as one alert. A match joins the aggregate its key collects into while that one's
 * alert time has not passed (found in this process, or as a pending head in the alert log after
 * a restart); otherwise it starts a new one, due aggregation (or the next time of the schedule)
 * after now or after the match.
 *
 * Failure policy: a pending head that cannot be looked up is taken as none (a new aggregate
 * starts); a match that cannot be recorded fails the run, so its window is evaluated again.
 */
import type { Logger } from 'pino';
import type { Alerter } from '../alerters/alerter.ts';
import type { RuntimeRule } from '../engine/runtime-rule.ts';
import type { Clock } from '../model/clock.ts';
import { lookupField, pythonStr } from '../model/lookup.ts';
import type { Match } from '../model/match.ts';
import type { AlertDoc, AlertStore } from '../state/writeback.ts';
import { parseTimestamp, toIso } from '../util/time.ts';
import { alertDocument } from './alert-document.ts';

interface AggregateSlot {
  id: string | undefined;
  alertTime: number;
}

export interface AggregateDeps {
  clock: Clock;
  logger: Logger;
  alerts: Pick<AlertStore, 'createAlert' | 'pendingAggregate'>;
  alerters(rt: RuntimeRule): Alerter[];
  ids(rt: RuntimeRule, match: Match): string;
}

export type AggregateResult = { outcome: 'aggregated'; alertTime: string } | { outcome: 'already-alerted' };

export interface Aggregate {
  /** Records the match in its aggregate; `whenRecorded` runs once it is (the realert silence). */
  add(rt: RuntimeRule, match: Match, whenRecorded: () => Promise<void>): Promise<AggregateResult>;
  /** The aggregate under `headId` was sent: its key starts a new one. */
  sent(ruleName: string, headId: string): void;
}

export function createAggregate(deps: AggregateDeps): Aggregate {
  /** Per rule: the aggregate each aggregation key currently collects into. */
  const aggregates = new Map<string, Map<string, AggregateSlot>>();
  const now = () => deps.clock.now();

  return {
    async add(rt, match, whenRecorded) {
      const o = rt.rule.options;
      const agg = o.aggregation;
      if (agg.kind === 'none') throw new Error(`rule ${rt.rule.name} does not aggregate`);
      const keyValue = o.aggregationKey ? lookupField(match, o.aggregationKey) : undefined;
      const aggKey = keyValue === undefined ? undefined : pythonStr(keyValue);
      const slots = aggregates.get(rt.rule.name) ?? new Map<string, AggregateSlot>();
      aggregates.set(rt.rule.name, slots);
      const slotKey = aggKey ?? '';
      const matchTs = parseTimestamp(lookupField(match, o.timestampField));
      const compare = o.aggregationComparedWithTimestampField ? (matchTs ?? now()) : now();
      let slot = slots.get(slotKey);
      if (!slot || slot.alertTime < compare) {
        const pending = await deps.alerts
          .pendingAggregate(rt.rule.name, toIso(now()), aggKey)
          .catch(() => undefined);
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
      const id = deps.ids(rt, match);
      const doc: AlertDoc = {
        ...alertDocument(rt, deps.alerters(rt), match, slot.alertTime, now()),
        ...(slot.id ? { aggregate_id: slot.id } : {}),
        ...(aggKey ? { aggregation_key: aggKey } : {}),
      };
      if ((await deps.alerts.createAlert(id, doc)) === 'exists') {
        deps.logger.info({ rule: rt.rule.name, id }, 'aggregated match already recorded');
        return { outcome: 'already-alerted' };
      }
      if (!slot.id) slot.id = id;
      await whenRecorded();
      deps.logger.info(
        { rule: rt.rule.name, aggregation_key: aggKey, alert_time: toIso(slot.alertTime) },
        'match added to an aggregation',
      );
      return { outcome: 'aggregated', alertTime: toIso(slot.alertTime) };
    },

    sent(ruleName, headId) {
      const slots = aggregates.get(ruleName);
      for (const [k, s] of slots ?? []) if (s.id === headId) slots!.delete(k);
    },
  };
}
