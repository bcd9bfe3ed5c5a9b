import { z } from 'zod';
import { duration } from '../config/fields.ts';
import { type Doc, keyOf, lookupField } from '../model/lookup.ts';
import { parseTimestamp, prettyTimestamp, timedeltaText, toIso } from '../util/time.ts';
import type { WindowEntry } from './event-window.ts';
import {
  MatchCollector,
  type RuleTypeContext,
  type RuleTypeDefinition,
  type RuleTypeInstance,
} from './rule-type.ts';
import { SpikeTracker } from './spike-tracker.ts';
import type { Hit, Match, TermsBucket } from '../model/match.ts';

export const spikeOptions = z.object({
  timeframe: duration,
  spike_height: z
    .number({ error: 'must be a number (the ratio between the current and the reference window)' })
    .positive(),
  spike_type: z.enum(['up', 'down', 'both']),
  threshold_ref: z.number().default(0),
  threshold_cur: z.number().default(0),
  alert_on_new_data: z.boolean().default(false),
  field_value: z.string().optional(),
});
export type SpikeOptions = z.infer<typeof spikeOptions>;

/**
 * Compares the event count (or the mean of field_value) in the current window with the window
 * before it. Events leaving the current window enter the reference window. A key needs two full
 * timeframes of history before it can alert (unless alert_on_new_data and some key already has).
 *
 * Deviation (docs/deviations.md): an up-spike needs more events than the reference and a
 * down-spike fewer, so a silent stream (0 vs 0) does not alert; compat_spike_on_zero restores
 * ElastAlert 2's behaviour.
 */
export function createSpike(ctx: RuleTypeContext, o: SpikeOptions): RuleTypeInstance {
  const matches = new MatchCollector(ctx.timestampField);
  const tf = o.timeframe;
  const byField = o.field_value !== undefined;
  const tracker = new SpikeTracker(
    ctx,
    o,
    {
      counts: !byField,
      values: (ref, cur) => (byField ? [ref.mean(), cur.mean()] : [ref.count(), cur.count()]),
      pick: (list) => list.find((e) => (byField ? !e.placeholder : e.count !== 0)) ?? list.at(-1)!,
    },
    matches,
  );
  const handle = (entry: WindowEntry, qk: string) => tracker.handle(entry, qk);

  const keyOfHit = (doc: Doc): string => {
    if (!ctx.queryKey) return 'all';
    const v = lookupField(doc, ctx.queryKey);
    return v === undefined ? 'other' : keyOf(v);
  };

  return {
    addData(hits: Hit[]) {
      for (const h of hits) {
        const qk = keyOfHit(h.doc);
        if (o.field_value === undefined) {
          handle({ ts: h.ts, count: 1, doc: h.doc }, qk);
          continue;
        }
        // ElastAlert 2 reads field_value only as a top-level key, truncated to an integer.
        if (!Object.hasOwn(h.doc, o.field_value)) continue;
        const raw = lookupField(h.doc, o.field_value);
        // Python's int(): numbers truncate, strings must be whole numbers, anything else is skipped.
        const n =
          typeof raw === 'number'
            ? raw
            : typeof raw === 'string' && /^\s*[-+]?\d+\s*$/.test(raw)
              ? Number(raw)
              : NaN;
        if (!Number.isFinite(n)) continue;
        handle({ ts: h.ts, count: Math.trunc(n), doc: h.doc }, qk);
      }
    },
    addCountData(endMs: number, count: number) {
      handle({ ts: endMs, count, doc: { [ctx.timestampField]: toIso(endMs) } }, 'all');
    },
    addTermsData(endMs: number, buckets: TermsBucket[]) {
      for (const b of buckets) {
        handle(
          {
            ts: endMs,
            count: b.doc_count,
            doc: { [ctx.timestampField]: toIso(endMs), [ctx.queryKey!]: b.key },
          },
          keyOf(b.key),
        );
      }
    },
    garbageCollect(ms: number) {
      tracker.collect(ms);
    },
    takeMatches: () => matches.take(),
    clearing: { kind: 'observed' },
    takeCleared: () => tracker.takeCleared(),
    firingKey: keyOfHit,
    matchText(match: Match) {
      const ts = parseTimestamp(lookupField(match, ctx.timestampField)) ?? 0;
      const when = prettyTimestamp(ts, ctx.timezone, ctx.prettyFormat);
      const within = timedeltaText(tf);
      if (o.field_value === undefined) {
        return `An abnormal number (${Math.trunc(Number(match.spike_count))}) of events occurred around ${when}.\nPreceding that time, there were only ${Math.trunc(Number(match.reference_count))} events within ${within}\n\n`;
      }
      return `An abnormal average value (${Number(match.spike_count).toFixed(2)}) of field '${o.field_value}' occurred around ${when}.\nPreceding that time, the field had an average value of (${Number(match.reference_count).toFixed(2)}) within ${within}\n\n`;
    },
  };
}

export const spikeRule: RuleTypeDefinition<SpikeOptions> = {
  name: 'spike',
  summary:
    'Alert when the event rate in the current timeframe is spike_height times above (or below) the previous one.',
  options: spikeOptions,
  optionNames: [
    'timeframe',
    'spike_height',
    'spike_type',
    'threshold_ref',
    'threshold_cur',
    'alert_on_new_data',
    'field_value',
  ],
  supportsCountQuery: true,
  supportsTermsQuery: true,
  hitFields: (o) => (o.field_value ? [o.field_value] : []),
  create: createSpike,
};
