import { z } from 'zod';
import { duration } from '../config/fields.ts';
import { EsalertError } from '../errors/esalert-error.ts';
import { type Doc, lookupField } from '../model/lookup.ts';
import { pyEqualityKey, pyFalsy, pyTupleKey } from './python-values.ts';
import {
  MatchCollector,
  type PrepareContext,
  type RuleTypeContext,
  type RuleTypeDefinition,
  type RuleTypeInstance,
} from './rule-type.ts';
import type { Hit, TermsBucket } from '../model/match.ts';

const DAY = 86_400_000;

/** Terms read per request of the history scan (composite aggregation pages). */
export const HISTORY_PAGE_SIZE = 10_000;
/** Distinct values one field may have in one step of the history scan before the scan gives up. */
export const HISTORY_MAX_TERMS = 1_000_000;

type Field = string | string[];

const fieldList = z.union(
  [
    z.string().min(1),
    z
      .array(z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]))
      .min(1, { error: 'must name at least one field' }),
  ],
  { error: 'must be a field name or a list of field names (a nested list is one composite key)' },
);

export const newTermOptions = z
  .object({
    fields: fieldList.optional(),
    query_key: z.union([z.string(), z.array(z.string())]).optional(),
    terms_window_size: duration.default(30 * DAY),
    window_step_size: duration.default(DAY),
    alert_on_missing_field: z.boolean().default(false),
    use_keyword_postfix: z.boolean().default(true),
    use_terms_query: z.boolean().default(false),
  })
  .transform((o, ctx) => {
    const qk = Array.isArray(o.query_key)
      ? o.query_key.length > 1
        ? o.query_key.join(',')
        : o.query_key[0]
      : o.query_key;
    const raw = o.fields ?? qk;
    if (raw === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['fields'],
        message: 'is required (or query_key): the fields to watch',
      });
      return z.NEVER;
    }
    const fields: Field[] = Array.isArray(raw) ? raw : [raw];
    if (o.window_step_size <= 0)
      ctx.addIssue({ code: 'custom', path: ['window_step_size'], message: 'must be longer than 0' });
    if (o.use_terms_query) {
      if (fields.length !== 1 || Array.isArray(fields[0]))
        ctx.addIssue({
          code: 'custom',
          path: ['use_terms_query'],
          message: 'can only be used with a single non-composite field',
        });
      else if (fields[0] !== qk)
        ctx.addIssue({
          code: 'custom',
          path: ['fields'],
          message: 'with use_terms_query, fields must be the query_key field (or be left out)',
        });
    }
    return {
      fields,
      terms_window_size: o.terms_window_size,
      window_step_size: o.window_step_size,
      alert_on_missing_field: o.alert_on_missing_field,
      use_keyword_postfix: o.use_keyword_postfix,
    };
  });
export type NewTermOptions = z.output<typeof newTermOptions>;

/** The name a field's seen values are kept under: the field, or the JSON of a composite key. */
const fieldId = (f: Field): string => (typeof f === 'string' ? f : JSON.stringify(f));

const withKeyword = (f: string, on: boolean) => (on && !f.endsWith('.keyword') ? `${f}.keyword` : f);

interface NewTermState {
  seen: Record<string, string[]>;
}

/**
 * A value never seen before in one of `fields` (a nested list is a composite key: the tuple of
 * its values). Before the first run, the terms of the last terms_window_size are read from
 * Elasticsearch, one query per window_step_size per field (ElastAlert 2's startup scan); after
 * that, every new value is remembered. Falsy values (missing, "", 0, false) are missing values:
 * ignored, or a match with missing_field when alert_on_missing_field.
 */
export function createNewTerm(ctx: RuleTypeContext, o: NewTermOptions): RuleTypeInstance {
  const matches = new MatchCollector(ctx.timestampField);
  const seen = new Map<string, Set<string>>();
  const seenFor = (f: Field) => {
    const id = fieldId(f);
    let s = seen.get(id);
    if (!s) seen.set(id, (s = new Set()));
    return s;
  };
  for (const f of o.fields) seenFor(f);

  /** A field's value in a document as a comparable key; undefined when missing (or falsy). */
  const valueOf = (doc: Doc, f: Field): string | undefined => {
    if (typeof f === 'string') {
      const v = lookupField(doc, f);
      return pyFalsy(v) ? undefined : pyEqualityKey(v);
    }
    const parts: unknown[] = [];
    for (const sub of f) {
      const v = lookupField(doc, sub);
      if (pyFalsy(v)) return undefined;
      parts.push(v);
    }
    return pyTupleKey(parts);
  };

  async function scanField(p: PrepareContext, f: Field, start: number, end: number): Promise<void> {
    const target = seenFor(f);
    const subFields = typeof f === 'string' ? [f] : f;
    const sources = subFields.map((sf, i) => ({
      [`f${i}`]: { terms: { field: withKeyword(sf, o.use_keyword_postfix) } },
    }));
    let from = start;
    let to = Math.min(start + o.window_step_size, end);
    while (from < end) {
      const query = {
        bool: {
          filter: [
            { range: { [p.timestampField]: { gte: p.writeTimestamp(from), lt: p.writeTimestamp(to) } } },
            ...p.filters,
          ],
        },
      };
      let after: Record<string, unknown> | undefined;
      let read = 0;
      for (;;) {
        const composite: Record<string, unknown> = { size: HISTORY_PAGE_SIZE, sources };
        if (after) composite.after = after;
        const res = await p.search.search(
          { index: p.indexFor(from, to), query, size: 0, aggs: { values: { composite } } },
          p.signal,
        );
        const agg = res.aggregations?.values as
          { buckets?: { key: Record<string, unknown> }[]; after_key?: Record<string, unknown> } | undefined;
        const buckets = agg?.buckets ?? [];
        for (const b of buckets) {
          const parts = subFields.map((_, i) => b.key[`f${i}`]);
          target.add(typeof f === 'string' ? pyEqualityKey(parts[0]) : pyTupleKey(parts));
        }
        read += buckets.length;
        if (read > HISTORY_MAX_TERMS)
          throw new EsalertError(
            'ES_QUERY_FAILED',
            `new_term: more than ${HISTORY_MAX_TERMS} distinct values of ${subFields.join(', ')} in one window_step_size; choose a field with fewer values or a smaller window_step_size`,
          );
        if (buckets.length < HISTORY_PAGE_SIZE || !agg?.after_key) break;
        after = agg.after_key;
      }
      from = to;
      to = Math.min(from + o.window_step_size, end);
    }
  }

  return {
    async prepare(p: PrepareContext) {
      const end = p.historyEnd;
      const start = end - o.terms_window_size;
      for (const f of o.fields) await scanField(p, f, start, end);
    },
    addData(hits: Hit[]) {
      for (const h of hits) {
        // ElastAlert 2 marks the document itself, so later matches of one document carry earlier marks
        let doc: Doc | undefined;
        for (const f of o.fields) {
          const key = valueOf(h.doc, f);
          const name = typeof f === 'string' ? f : [...f];
          if (key === undefined) {
            if (!o.alert_on_missing_field) continue;
            doc ??= structuredClone(h.doc);
            doc.missing_field = name;
            matches.add(doc, h.ts);
          } else if (!seenFor(f).has(key)) {
            doc ??= structuredClone(h.doc);
            doc.new_field = name;
            matches.add(doc, h.ts);
            seenFor(f).add(key);
          }
        }
      }
    },
    addTermsData(endMs: number, buckets: TermsBucket[]) {
      const f = o.fields[0] as string;
      for (const b of buckets) {
        if (!b.doc_count) continue;
        const key = pyEqualityKey(b.key);
        if (seenFor(f).has(key)) continue;
        matches.add({ [f]: b.key, [ctx.timestampField]: endMs, new_field: f }, endMs);
        seenFor(f).add(key);
      }
    },
    garbageCollect() {},
    takeMatches: () => matches.take(),
    matchText: () => '',
    exportState(): NewTermState {
      return { seen: Object.fromEntries([...seen].map(([k, v]) => [k, [...v]])) };
    },
    importState(state: unknown) {
      const s = (state as Partial<NewTermState> | null)?.seen;
      if (!s || typeof s !== 'object') return;
      for (const [k, values] of Object.entries(s)) {
        if (!Array.isArray(values)) continue;
        let set = seen.get(k);
        if (!set) seen.set(k, (set = new Set()));
        for (const v of values) if (typeof v === 'string') set.add(v);
      }
    },
  };
}

export const newTermRule: RuleTypeDefinition<NewTermOptions> = {
  name: 'new_term',
  summary: 'Alert on a value of fields not seen in the terms_window_size before the rule started, nor since.',
  options: newTermOptions,
  optionNames: [
    'fields',
    'terms_window_size',
    'window_step_size',
    'alert_on_missing_field',
    'use_keyword_postfix',
  ],
  supportsCountQuery: false,
  supportsTermsQuery: true,
  hitFields: (o) => o.fields.flatMap((f) => (typeof f === 'string' ? [f] : f)),
  create: createNewTerm,
};
