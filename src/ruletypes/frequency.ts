import { z } from 'zod';
import { duration, nonNegativeInt } from '../config/fields.ts';
import { type Doc, keyOf, lookupField } from '../model/lookup.ts';
import { parseTimestamp, prettyTimestamp, toIso } from '../util/time.ts';
import { EventWindow } from './event-window.ts';
import {
  MatchCollector,
  type RuleTypeContext,
  type RuleTypeDefinition,
  type RuleTypeInstance,
} from './rule-type.ts';
import type { Hit, Match, TermsBucket } from '../model/match.ts';

export const frequencyOptions = z.object({
  num_events: nonNegativeInt,
  timeframe: duration,
  attach_related: z.boolean().default(false),
});
export type FrequencyOptions = z.infer<typeof frequencyOptions>;

/**
 * At least `num_events` events within `timeframe` (per query_key value). The match is the newest
 * event in the window, and the window starts over after a match, as in ElastAlert 2.
 */
export function createFrequency(ctx: RuleTypeContext, o: FrequencyOptions): RuleTypeInstance {
  const matches = new MatchCollector(ctx.timestampField);
  const windows = new Map<string, EventWindow>();
  const windowFor = (key: string) => {
    let w = windows.get(key);
    if (!w) windows.set(key, (w = new EventWindow(o.timeframe)));
    return w;
  };
  const check = (key: string) => {
    const w = windows.get(key);
    if (!w || w.count() < o.num_events) return;
    const newest = w.newest!;
    const extra: Doc | undefined = o.attach_related
      ? {
          related_events: w
            .entries()
            .slice(0, -1)
            .map((e) => e.doc),
        }
      : undefined;
    matches.add(newest.doc, newest.ts, extra);
    windows.delete(key);
  };
  return {
    addData(hits: Hit[]) {
      for (const h of hits) {
        const key = ctx.queryKey ? keyOf(lookupField(h.doc, ctx.queryKey)) : 'all';
        windowFor(key).append({ ts: h.ts, count: 1, doc: h.doc });
        check(key);
      }
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
      for (const [key, w] of windows) if (ms - w.newest!.ts > o.timeframe) windows.delete(key);
    },
    takeMatches: () => matches.take(),
    // the window starts over after a match, so a timeframe without a match had fewer than num_events
    clearing: { kind: 'quiet', ms: o.timeframe },
    matchText(match: Match) {
      const ts = parseTimestamp(lookupField(match, ctx.timestampField)) ?? 0;
      const fmt = ctx.prettyFormat;
      return `At least ${o.num_events} events occurred between ${prettyTimestamp(ts - o.timeframe, ctx.timezone, fmt)} and ${prettyTimestamp(ts, ctx.timezone, fmt)}\n\n`;
    },
  };
}

export const frequencyRule: RuleTypeDefinition<FrequencyOptions> = {
  name: 'frequency',
  summary: 'Alert when at least num_events events occur within timeframe (per query_key value).',
  options: frequencyOptions,
  optionNames: ['num_events', 'timeframe', 'attach_related'],
  supportsCountQuery: true,
  supportsTermsQuery: true,
  hitFields: () => [],
  create: createFrequency,
};
