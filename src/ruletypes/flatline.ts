import { z } from 'zod';
import { duration } from '../config/fields.ts';
import { keyOf, lookupField } from '../model/lookup.ts';
import { parseTimestamp, prettyTimestamp, toIso } from '../util/time.ts';
import { EventWindow } from './event-window.ts';
import {
  MatchCollector,
  type RuleTypeContext,
  type RuleTypeDefinition,
  type RuleTypeInstance,
} from './rule-type.ts';
import type { Hit, Match, TermsBucket } from '../model/match.ts';

export const flatlineOptions = z.object({
  threshold: z.int({ error: 'must be a whole number' }),
  timeframe: duration,
  forget_keys: z.boolean().default(false),
});
export type FlatlineOptions = z.infer<typeof flatlineOptions>;

/**
 * Fewer than `threshold` events within `timeframe` (per query_key value seen at least once).
 * Checks happen at the end of each batch and at each garbage collection, so the rule fires when
 * no data arrives at all; after a first warm-up of one timeframe. Without forget_keys it fires at
 * every check while the count stays low, as in ElastAlert 2.
 */
export function createFlatline(ctx: RuleTypeContext, o: FlatlineOptions): RuleTypeInstance {
  const matches = new MatchCollector(ctx.timestampField);
  const windows = new Map<string, EventWindow>();
  const firstEvent = new Map<string, number>();
  /** send_resolved: keys seen back at or above the threshold over a timeframe, and when. */
  let cleared = new Map<string, number>();
  const windowFor = (key: string) => {
    let w = windows.get(key);
    if (!w) windows.set(key, (w = new EventWindow(o.timeframe)));
    return w;
  };
  const check = (key: string) => {
    const w = windows.get(key);
    if (!w) return;
    const mostRecent = w.newest!.ts;
    if (!firstEvent.has(key)) firstEvent.set(key, mostRecent);
    const count = w.count();
    if (count >= o.threshold) {
      cleared.set(key, mostRecent);
      return;
    }
    if (mostRecent - firstEvent.get(key)! < o.timeframe) return;
    const newest = w.newest!;
    matches.add(newest.doc, newest.ts, { key, count, threshold: o.threshold });
    if (!o.forget_keys) {
      firstEvent.set(key, Math.min(w.oldest!.ts, mostRecent - o.timeframe));
    } else {
      firstEvent.delete(key);
      windows.delete(key);
    }
  };
  return {
    addData(hits: Hit[]) {
      let key: string | undefined;
      for (const h of hits) {
        key = ctx.queryKey ? keyOf(lookupField(h.doc, ctx.queryKey)) : 'all';
        windowFor(key).append({ ts: h.ts, count: 1, doc: h.doc });
      }
      if (key !== undefined) check(key);
    },
    addCountData(endMs: number, count: number) {
      windowFor('all').append({ ts: endMs, count, doc: { [ctx.timestampField]: toIso(endMs) } });
      check('all');
    },
    addTermsData(endMs: number, buckets: TermsBucket[]) {
      for (const b of buckets) {
        const key = keyOf(b.key);
        windowFor(key).append({
          ts: endMs,
          count: b.doc_count,
          doc: { [ctx.timestampField]: toIso(endMs), [ctx.queryKey!]: b.key },
        });
        check(key);
      }
    },
    garbageCollect(ms: number) {
      const keys = windows.size > 0 ? [...windows.keys()] : ctx.queryKey ? [] : ['all'];
      for (const key of keys) {
        windowFor(key).append({
          ts: ms,
          count: 0,
          doc: { [ctx.timestampField]: toIso(ms) },
          placeholder: true,
        });
        if (!firstEvent.has(key)) firstEvent.set(key, ms);
        check(key);
      }
    },
    takeMatches: () => matches.take(),
    clearing: { kind: 'observed' },
    takeCleared() {
      const out = cleared;
      cleared = new Map();
      return out;
    },
    firingKey: (match: Match) => (match.key === undefined ? 'all' : String(match.key)),
    matchText(match: Match) {
      const ts = parseTimestamp(lookupField(match, ctx.timestampField)) ?? 0;
      const p = (t: number) => prettyTimestamp(t, ctx.timezone, ctx.prettyFormat);
      return `An abnormally low number of events occurred around ${p(ts)}.\nBetween ${p(ts - o.timeframe)} and ${p(ts)}, there were less than ${o.threshold} events.\n\n`;
    },
    silenceKeyValue(match: Match) {
      return match.key === undefined ? undefined : String(match.key);
    },
  };
}

export const flatlineRule: RuleTypeDefinition<FlatlineOptions> = {
  name: 'flatline',
  summary: 'Alert when fewer than threshold events occur within timeframe (per query_key value seen before).',
  options: flatlineOptions,
  optionNames: ['threshold', 'timeframe', 'forget_keys'],
  supportsCountQuery: true,
  supportsTermsQuery: true,
  hitFields: () => [],
  create: createFlatline,
};
