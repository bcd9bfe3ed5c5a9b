/**
 * The SearchPort over documents held in memory (offline runs, tests): the query DSL rules use,
 * evaluated with Elasticsearch's semantics over fields typed as Elasticsearch's dynamic mapping
 * would type them (or as a given mapping says), plus sorting, search_after paging, a point in
 * time (a snapshot: the documents never change), track_total_hits, _source filtering and
 * aggregations (memory/aggregations.ts). What it cannot evaluate is an error naming the clause,
 * never "no hits".
 * See docs/offline-evaluation.md.
 */
import { EsalertError } from '../../errors/esalert-error.ts';
import type { Doc } from '../../model/lookup.ts';
import { aggregate } from './aggregations.ts';
import { type DocIndex, type FieldIndex, type IndexedDoc, buildIndex } from './doc-index.ts';
import { DocSet } from './doc-set.ts';
import { badRequest, unsupported } from './errors.ts';
import { type Mapping, fieldPattern, inferMapping, mappingFromJson } from './field-mapping.ts';
import type { EvalContext } from './field-queries.ts';
import { evaluate } from './lquery.ts';
import { compileQuery } from './query-eval.ts';
import { compareTerms } from '../term-matchers.ts';
import type { EsQuery } from '../filters.ts';
import type { SearchHit, SearchPort, SearchRequest, SearchResponse, SortSpec } from '../search-port.ts';

export interface MemoryDocument {
  _id: string;
  /** The index the document belongs to; without one it belongs to every index searched. */
  _index?: string;
  _source: Doc;
}

export interface MemorySearchPortOptions {
  /** A real mapping (the answer of GET <index>/_mapping) instead of the dynamic-mapping inference. */
  mapping?: unknown;
  /** The instant `now` stands for in date math (default: the clock). */
  now?: () => number;
}

/** Elasticsearch's index.max_result_window. */
export const MAX_RESULT_WINDOW = 10_000;

// Long.MAX_VALUE and Long.MIN_VALUE as JavaScript numbers (what JSON.parse makes of them)
const LONG_MAX = 2 ** 63;
const LONG_MIN = -(2 ** 63);

export interface MemorySearchPort extends SearchPort {
  /** The field types in use (inferred or given). */
  readonly mapping: Mapping;
  /** How many documents it holds. */
  readonly size: number;
  /** The _ids of every document matching `query` in `index`, in document order (tests, tools). */
  ids(index: string, query: EsQuery): string[];
}

interface SortKey {
  kind: 'field' | 'doc' | 'score';
  field?: FieldIndex;
  name: string;
  desc: boolean;
  missingFirst: boolean;
  mode: 'min' | 'max';
}

/** A sort value: numbers for numeric, date and boolean fields and _doc, strings for keyword, null when missing. */
type SortValue = number | string | null;

function indexMatcher(expression: string): (name: string | undefined) => boolean {
  const parts = expression
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const include = parts.filter((p) => !p.startsWith('-')).map((p) => (p === '_all' ? '*' : p));
  const exclude = parts.filter((p) => p.startsWith('-')).map((p) => p.slice(1));
  const inc = include.map(fieldPattern);
  const exc = exclude.map(fieldPattern);
  return (name) => {
    if (name === undefined) return true;
    return (inc.length === 0 || inc.some((r) => r.test(name))) && !exc.some((r) => r.test(name));
  };
}

/** Elasticsearch's _source filtering with `includes` patterns (`*` matches any characters). */
export function filterSource(source: Doc, includes: readonly string[]): Doc {
  const patterns = includes.map(fieldPattern);
  const prefixes = includes.map((p) => p.split('*')[0]!);
  const wanted = (path: string) => patterns.some((r) => r.test(path));
  const mayContain = (path: string) =>
    includes.some(
      (p, i) => p.includes('*') || prefixes[i]!.startsWith(`${path}.`) || p.startsWith(`${path}.`),
    );
  const walk = (obj: Doc, prefix: string): Doc | undefined => {
    const out: Doc = {};
    let any = false;
    for (const [k, v] of Object.entries(obj)) {
      const path = prefix ? `${prefix}.${k}` : k;
      if (wanted(path)) {
        out[k] = v;
        any = true;
      } else if (v && typeof v === 'object' && mayContain(path)) {
        if (Array.isArray(v)) {
          const kept = v
            .filter((e): e is Doc => !!e && typeof e === 'object' && !Array.isArray(e))
            .map((e) => walk(e, path))
            .filter((e): e is Doc => e !== undefined);
          if (kept.length > 0) {
            out[k] = kept;
            any = true;
          }
        } else {
          const sub = walk(v as Doc, path);
          if (sub) {
            out[k] = sub;
            any = true;
          }
        }
      }
    }
    return any ? out : undefined;
  };
  return walk(source, '') ?? {};
}

export function createMemorySearchPort(
  documents: readonly MemoryDocument[],
  options: MemorySearchPortOptions = {},
): MemorySearchPort {
  const docs: IndexedDoc[] = documents.map((d) => ({ _id: d._id, _index: d._index, _source: d._source }));
  const mapping =
    options.mapping !== undefined
      ? mappingFromJson(options.mapping)
      : inferMapping(docs.map((d) => d._source));
  const ix: DocIndex = buildIndex(docs, mapping);
  const now = options.now ?? Date.now;
  const pits = new Map<string, string>();
  let pitSeq = 0;

  const context = (): EvalContext => ({ ix, now: now() });

  const indexSets = new Map<string, DocSet>();
  /** The documents of the indices an index expression names (documents without an _index are in all). */
  const inIndices = (expression: string): DocSet => {
    let set = indexSets.get(expression);
    if (!set) {
      const matcher = indexMatcher(expression);
      set = DocSet.empty(ix.size);
      ix.docs.forEach((d, i) => {
        if (matcher(d._index)) set!.add(i);
      });
      if (indexSets.size > 100) indexSets.clear();
      indexSets.set(expression, set);
    }
    return set;
  };

  const select = (index: string, query: EsQuery, ctx: EvalContext): DocSet =>
    evaluate(ctx, compileQuery(query)).and(inIndices(index));

  const checkSignal = (signal: AbortSignal | undefined) => {
    if (signal?.aborted) throw new EsalertError('ABORTED', 'search aborted');
  };

  return {
    mapping,
    size: ix.size,

    async search(req: SearchRequest, signal?: AbortSignal): Promise<SearchResponse> {
      checkSignal(signal);
      let index = req.index;
      if (req.pit) {
        const pitIndex = pits.get(req.pit.id);
        if (pitIndex === undefined) {
          throw new EsalertError(
            'ES_QUERY_FAILED',
            `No search context found for point in time id [${req.pit.id}]`,
          );
        }
        index = pitIndex;
      }
      if (!Number.isInteger(req.size) || req.size < 0)
        throw badRequest(`[size] must be a non-negative integer, got ${req.size}`);
      if (req.size > MAX_RESULT_WINDOW) {
        throw badRequest(
          `Result window is too large, size must be less than or equal to: [${MAX_RESULT_WINDOW}] but was [${req.size}]`,
        );
      }
      const ctx = context();
      const matches = select(index, req.query, ctx);
      // post_filter: the hits and their total only; the aggregations see every match
      const hitSet = req.postFilter ? matches.clone().and(select(index, req.postFilter, ctx)) : matches;
      const response: SearchResponse = { hits: [] };
      if (req.trackTotalHits) response.total = hitSet.count();
      if (req.aggs) {
        response.aggregations = aggregate({ ix, query: ctx, searched: inIndices(index) }, matches, req.aggs);
      }
      if (req.size > 0) {
        const keys = sortKeys(ix, req.sort);
        let ords = [...hitSet];
        const valuesOf = (d: number) => keys.map((k) => sortValue(ix, k, d));
        let rows = ords.map((d) => ({ d, v: valuesOf(d) }));
        if (req.searchAfter) {
          if (req.searchAfter.length !== keys.length) {
            throw badRequest(
              `search_after has ${req.searchAfter.length} value(s) but sort has ${keys.length}`,
            );
          }
          const after = keys.map((k, i) => afterValue(k, req.searchAfter![i]));
          rows = rows.filter((r) => compareRows(keys, r.v, after) > 0);
        }
        rows.sort((a, b) => compareRows(keys, a.v, b.v) || a.d - b.d);
        ords = rows.slice(0, req.size).map((r) => r.d);
        const byOrd = new Map(rows.map((r) => [r.d, r.v]));
        response.hits = ords.map((d) =>
          toHit(ix.docs[d]!, index, req, req.sort ? hitSortValues(keys, byOrd.get(d)!) : undefined),
        );
      }
      if (req.pit) response.pitId = req.pit.id;
      return response;
    },

    ids(index: string, query: EsQuery): string[] {
      return [...select(index, query, context())].map((d) => ix.docs[d]!._id);
    },

    async count(index: string, query: EsQuery, signal?: AbortSignal): Promise<number> {
      checkSignal(signal);
      return select(index, query, context()).count();
    },

    async openPointInTime(index: string, _keepAlive: string, signal?: AbortSignal): Promise<string> {
      checkSignal(signal);
      const id = `memory-pit-${++pitSeq}`;
      pits.set(id, index);
      return id;
    },

    async closePointInTime(id: string): Promise<void> {
      pits.delete(id);
    },
  };
}

function toHit(doc: IndexedDoc, index: string, req: SearchRequest, sort: unknown[] | undefined): SearchHit {
  const hit: SearchHit = {
    _id: doc._id,
    _index: doc._index ?? index,
    _source: req.sourceIncludes
      ? filterSource(doc._source, req.sourceIncludes)
      : structuredClone(doc._source),
  };
  if (sort) hit.sort = sort;
  return hit;
}

function sortKeys(ix: DocIndex, sort: SortSpec[] | undefined): SortKey[] {
  const keys: SortKey[] = [];
  for (const spec of sort ?? []) {
    let name: string;
    let order: string | undefined;
    let missing: unknown;
    let mode: unknown;
    if (typeof spec === 'string') {
      name = spec;
    } else {
      const entries = Object.entries(spec);
      if (entries.length !== 1) throw badRequest(`a sort entry names one field, got ${JSON.stringify(spec)}`);
      const [field, o] = entries[0]!;
      name = field;
      if (typeof o === 'string') order = o;
      else if (o && typeof o === 'object') {
        const opts = o as Record<string, unknown>;
        for (const k of Object.keys(opts)) {
          if (!['order', 'missing', 'mode', 'unmapped_type', 'format', 'numeric_type'].includes(k)) {
            throw unsupported(`the sort option [${k}] (on ${field})`);
          }
        }
        order = opts.order as string | undefined;
        missing = opts.missing;
        mode = opts.mode;
      }
    }
    const desc = (order ?? (name === '_score' ? 'desc' : 'asc')).toLowerCase() === 'desc';
    const missingFirst = missing === '_first';
    if (missing !== undefined && missing !== '_first' && missing !== '_last')
      throw unsupported(`sort missing value ${JSON.stringify(missing)}`);
    const m = (mode as string | undefined) ?? (desc ? 'max' : 'min');
    if (m !== 'min' && m !== 'max') throw unsupported(`sort mode "${m}"`);
    if (name === '_doc' || name === '_shard_doc') {
      keys.push({ kind: 'doc', name, desc, missingFirst, mode: m });
      continue;
    }
    if (name === '_score') {
      keys.push({ kind: 'score', name, desc, missingFirst, mode: m });
      continue;
    }
    const field = ix.fields.get(name);
    if (!field) {
      throw badRequest(`No mapping found for [${name}] in order to sort on`);
    }
    if (field.spec.type === 'text') {
      throw badRequest(
        `Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead ([${name}.keyword])`,
      );
    }
    keys.push({ kind: 'field', field, name, desc, missingFirst, mode: m });
  }
  return keys;
}

/** The `sort` of a hit as Elasticsearch writes it: a missing number is the long extreme that sorts it last (or first). */
function hitSortValues(keys: SortKey[], values: SortValue[]): unknown[] {
  return values.map((v, i) => {
    const k = keys[i]!;
    if (v !== null || k.kind !== 'field' || k.field!.spec.type === 'keyword') return v;
    return k.desc === k.missingFirst ? LONG_MAX : LONG_MIN;
  });
}

function sortValue(ix: DocIndex, key: SortKey, d: number): SortValue {
  if (key.kind === 'doc') return d;
  if (key.kind === 'score') return 1;
  const f = key.field!;
  const values = f.docValues.get(d);
  if (values.length === 0) return null;
  if (f.spec.type === 'keyword') {
    let best = f.terms[values[0]!]!;
    for (const o of values) {
      const t = f.terms[o]!;
      const c = compareTerms(t, best);
      if (key.mode === 'min' ? c < 0 : c > 0) best = t;
    }
    return best;
  }
  return key.mode === 'min' ? Math.min(...values) : Math.max(...values);
}

function compareValues(a: SortValue, b: SortValue): number {
  if (typeof a === 'string' && typeof b === 'string') return compareTerms(a, b);
  return (a as number) - (b as number);
}

/** Row order for the sort keys; missing values go last (or first) whatever the direction, as Elasticsearch. */
function compareRows(keys: SortKey[], a: SortValue[], b: SortValue[]): number {
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === null || y === null) {
      if (x === y) continue;
      return (x === null) !== k.missingFirst ? 1 : -1;
    }
    const c = compareValues(x, y);
    if (c !== 0) return k.desc ? -c : c;
  }
  return 0;
}

/** A search_after value in the key's type; the long extremes Elasticsearch uses for missing values are missing. */
function afterValue(key: SortKey, v: unknown): SortValue {
  if (v === null || v === undefined) return null;
  if (key.kind !== 'field' || key.field!.spec.type !== 'keyword') {
    if (typeof v === 'number') return v >= LONG_MAX || v <= LONG_MIN ? null : v;
    if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
    if (typeof v === 'string' && key.field?.spec.type === 'date' && !Number.isNaN(Date.parse(v)))
      return Date.parse(v);
    if (typeof v === 'boolean') return v ? 1 : 0;
    throw badRequest(`search_after value ${JSON.stringify(v)} does not fit the sort on [${key.name}]`);
  }
  return String(v);
}
