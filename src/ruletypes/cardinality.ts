import { z } from 'zod';
import { duration } from '../config/fields.ts';
import { type Doc, keyOf, lookupField } from '../model/lookup.ts';
import { parseTimestamp, prettyTimestamp, toIso } from '../util/time.ts';
import { pyHashKey } from './python-values.ts';
import {
  MatchCollector,
  type RuleTypeContext,
  type RuleTypeDefinition,
  type RuleTypeInstance,
} from './rule-type.ts';
import type { Hit, Match } from '../model/match.ts';

export const cardinalityOptions = z
  .object({
    timeframe: duration,
    cardinality_field: z.string({ error: 'is required: the field whose distinct values are counted' }).min(1),
    max_cardinality: z.int({ error: 'must be a whole number' }).optional(),
    min_cardinality: z.int({ error: 'must be a whole number' }).optional(),
  })
  .refine((o) => o.max_cardinality !== undefined || o.min_cardinality !== undefined, {
    error: 'needs max_cardinality or min_cardinality (or both)',
    path: ['max_cardinality'],
  });
export type CardinalityOptions = z.infer<typeof cardinalityOptions>;

interface KeyState {
  /** value -> when it was last seen */
  values: Map<string, number>;
  /** the query_key value itself (for placeholder matches) */
  qkValue: unknown;
}

/**
 * More than max_cardinality (or fewer than min_cardinality) distinct values of cardinality_field
 * within timeframe, per query_key value. A value counts for timeframe after it was last seen.
 * As in ElastAlert 2: in max mode every further new value alerts again while the count stays
 * above; min mode needs timeframe since the key's first event (or last alert) and is also checked
 * at each garbage collection (the match is then a placeholder {timestamp, query_key}).
 */
export function createCardinality(ctx: RuleTypeContext, o: CardinalityOptions): RuleTypeInstance {
  const matches = new MatchCollector(ctx.timestampField);
  const keys = new Map<string, KeyState>();
  const firstEvent = new Map<string, number>();
  const max = o.max_cardinality ?? Infinity;
  const min = o.min_cardinality ?? -Infinity;

  const collect = (ts: number) => {
    for (const [key, state] of keys) {
      for (const [value, lastSeen] of state.values)
        if (ts - lastSeen > o.timeframe) state.values.delete(value);
      if (o.min_cardinality === undefined) continue;
      const placeholder: Doc = { [ctx.timestampField]: toIso(ts) };
      if (ctx.queryKey) placeholder[ctx.queryKey] = state.qkValue;
      check(key, placeholder, ts, false);
    }
  };

  function check(key: string, event: Doc, ts: number, gc: boolean): void {
    const size = keys.get(key)!.values.size;
    const elapsed = ts - (firstEvent.get(key) ?? ts) > o.timeframe;
    if (!(size > max || (size < min && elapsed))) return;
    if (gc) {
      // values older than timeframe only leave at garbage collection: collect, then look again
      collect(ts);
      check(key, event, ts, false);
      return;
    }
    firstEvent.delete(key);
    matches.add(event, ts);
  }

  return {
    addData(hits: Hit[]) {
      for (const h of hits) {
        const raw = ctx.queryKey ? lookupField(h.doc, ctx.queryKey) : undefined;
        const key = ctx.queryKey ? keyOf(raw) : 'all';
        if (!keys.has(key))
          keys.set(key, {
            values: new Map(),
            qkValue: raw === undefined ? null : typeof raw === 'object' ? keyOf(raw) : raw,
          });
        if (!firstEvent.has(key)) firstEvent.set(key, h.ts);
        const value = lookupField(h.doc, o.cardinality_field);
        if (value === undefined) continue;
        keys.get(key)!.values.set(pyHashKey(value), h.ts);
        check(key, h.doc, h.ts, true);
      }
    },
    garbageCollect: collect,
    takeMatches: () => matches.take(),
    matchText(match: Match) {
      const ts = parseTimestamp(lookupField(match, ctx.timestampField)) ?? 0;
      const p = (t: number) => prettyTimestamp(t, ctx.timezone, ctx.prettyFormat);
      const head =
        o.max_cardinality !== undefined
          ? `A maximum of ${o.max_cardinality}`
          : `Less than ${o.min_cardinality}`;
      return `${head} unique ${o.cardinality_field}(s) occurred since last alert or between ${p(ts - o.timeframe)} and ${p(ts)}\n\n`;
    },
  };
}

export const cardinalityRule: RuleTypeDefinition<CardinalityOptions> = {
  name: 'cardinality',
  summary:
    'Alert when the number of distinct cardinality_field values within timeframe goes above or below a limit.',
  options: cardinalityOptions,
  optionNames: ['timeframe', 'cardinality_field', 'max_cardinality', 'min_cardinality'],
  supportsCountQuery: false,
  supportsTermsQuery: false,
  hitFields: (o) => [o.cardinality_field],
  create: createCardinality,
};
