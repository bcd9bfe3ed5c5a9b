import { z } from 'zod';
import { duration } from '../config/fields.ts';
import { keyOf, lookupField } from '../model/lookup.ts';
import { pyEquals, pyFalsy } from './python-values.ts';
import { MatchCollector, type RuleTypeDefinition, type RuleTypeInstance } from './rule-type.ts';
import type { Hit } from '../model/match.ts';

export const changeOptions = z.object({
  query_key: z.union([z.string().min(1), z.array(z.string()).min(1)], {
    error: 'is required: the field identifying what is watched (e.g. event.involvedObject.name.keyword)',
  }),
  compare_key: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
      error: 'is required: the field (or list of fields) whose value is watched for changes',
    })
    .transform((v) => (Array.isArray(v) ? v : [v])),
  ignore_null: z.boolean({
    error: 'is required: true to skip documents missing a compare_key value, false to count them',
  }),
  timeframe: duration.optional(),
});
export type ChangeOptions = z.infer<typeof changeOptions>;

/** Persisted state: the last values (and time) per query key value. */
interface ChangeState {
  values: [string, unknown[]][];
  times: [string, number][];
}

/**
 * The compare_key value(s) of a query_key value differ from the previous document's (within
 * timeframe of it, when set). The first document of a key never matches; with ignore_null, a
 * document with any empty compare value (None, "", 0, []; not false) is skipped entirely. The
 * match gets old_value and new_value (lists, one item per compare key).
 *
 * Deviation: ElastAlert 2 keeps the last change and time in class attributes shared by every
 * change rule in the process; here each rule keeps its own (docs/rule-types.md).
 */
export function createChange(
  ctx: { timestampField: string; queryKey: string | undefined },
  o: ChangeOptions,
) {
  const matches = new MatchCollector(ctx.timestampField);
  const qk = ctx.queryKey ?? (Array.isArray(o.query_key) ? o.query_key.join(',') : o.query_key);
  const last = new Map<string, unknown[]>();
  const lastTime = new Map<string, number>();

  const instance: RuleTypeInstance = {
    addData(hits: Hit[]) {
      for (const h of hits) {
        const key = keyOf(lookupField(h.doc, qk));
        const values = o.compare_key.map((f) => lookupField(h.doc, f) ?? null);
        if (o.ignore_null && values.some((v) => typeof v !== 'boolean' && pyFalsy(v))) continue;
        const previous = last.get(key);
        let changed = false;
        if (previous) {
          changed = values.some((v, i) => !pyEquals(previous[i], v));
          const seenAt = lastTime.get(key);
          if (changed && seenAt !== undefined) changed = h.ts - seenAt <= o.timeframe!;
        }
        last.set(key, values);
        if (o.timeframe !== undefined) lastTime.set(key, h.ts);
        if (changed) matches.add(h.doc, h.ts, { old_value: previous, new_value: values });
      }
    },
    garbageCollect() {},
    takeMatches: () => matches.take(),
    matchText: () => '',
    exportState(): ChangeState {
      return { values: [...last], times: [...lastTime] };
    },
    importState(state: unknown) {
      const s = state as Partial<ChangeState> | null;
      if (!s || !Array.isArray(s.values) || !Array.isArray(s.times)) return;
      for (const [k, v] of s.values) if (typeof k === 'string' && Array.isArray(v)) last.set(k, v);
      for (const [k, t] of s.times) if (typeof k === 'string' && typeof t === 'number') lastTime.set(k, t);
    },
  };
  return instance;
}

export const changeRule: RuleTypeDefinition<ChangeOptions> = {
  name: 'change',
  summary: 'Alert when compare_key changes value for the same query_key value (optionally within timeframe).',
  options: changeOptions,
  optionNames: ['compare_key', 'ignore_null', 'timeframe'],
  supportsCountQuery: false,
  supportsTermsQuery: false,
  hitFields: (o) => [...o.compare_key],
  create: createChange,
};
