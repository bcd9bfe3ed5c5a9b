/**
 * Aggregations of the in-memory backend, computed as Elasticsearch computes them on one shard
 * and answered in its response shapes:
 *
 * - bucket aggregations `terms`, `date_histogram`, `date_range`, `range`, `filters`, `filter`
 *   and `composite` (terms and date_histogram sources), with sub-aggregations at any depth and
 *   terms/date_histogram `order` by `_count`, `_key` or a sub-aggregation path (`max_count`,
 *   `stats.avg`, `pct.99`, `flt>max_count`);
 * - metric aggregations `avg`, `sum`, `min`, `max`, `value_count`, `cardinality` (exact),
 *   `percentiles` (exact: linear interpolation between the closest ranks) and `stats`.
 *
 * Anything else is a QUERY_SYNTAX error naming it. See docs/offline-evaluation.md.
 */
import type { DocIndex, FieldIndex } from './doc-index.ts';
import type { DocSet } from './doc-set.ts';
import { formatDate } from './dates.ts';
import {
  type DateFormatter,
  type Rounding,
  type TimeZone,
  UTC_ZONE,
  calendarRounding,
  calendarUnit,
  dateFormatter,
  fixedRounding,
  parseBound,
  parseOffset,
  parseTimeValue,
  parseTimeZone,
} from './date-rounding.ts';
import { badRequest, unsupported } from './errors.ts';
import type { FieldType } from './field-mapping.ts';
import type { EvalContext } from './field-queries.ts';
import { evaluate } from './lquery.ts';
import { compileQuery } from './query-eval.ts';
import { compareTerms } from '../term-matchers.ts';

export interface AggregationContext {
  ix: DocIndex;
  /** For the queries of filter and filters aggregations; `now` for date math. */
  query: EvalContext;
  /** The documents of the indices searched (terms with min_doc_count 0). */
  searched: DocSet;
}

/** Elasticsearch's search.max_buckets: more buckets in one response is an error. */
export const MAX_BUCKETS = 65_536;

/** Ascending document ordinals. */
type Docs = readonly number[];

/** What an aggregation answered, and what a terms/histogram `order` can read from it. */
interface Result {
  json: Record<string, unknown>;
  /** Metric aggregations: the value a bucket order sorts by (NaN or ±Infinity when there is none). */
  sortValue?: (prop: string | undefined) => number;
  /** Single-bucket aggregations. */
  docCount?: number;
  subs?: Map<string, Result>;
}

type Kind = 'metric' | 'single' | 'multi';

interface Agg {
  name: string;
  type: string;
  kind: Kind;
  /** Metric aggregations: whether `prop` names one of its values (undefined: the single value). */
  hasProp?: (prop: string | undefined) => boolean;
  subs: Agg[];
  meta: unknown;
  run(docs: Docs, r: Runner): Result;
}

type Builder = (
  ctx: AggregationContext,
  name: string,
  body: Record<string, unknown>,
  subs: Agg[],
) => Omit<Agg, 'meta'>;

/** One request's run: counts buckets and computes sub-aggregations. */
class Runner {
  private buckets = 0;

  /** Counts buckets against search.max_buckets, as Elasticsearch does while reducing. */
  consume(n: number): void {
    this.buckets += n;
    if (this.buckets > MAX_BUCKETS) {
      throw badRequest(
        `Trying to create too many buckets. Must be less than or equal to: [${MAX_BUCKETS}] but this number of buckets was exceeded. This limit can be set by changing the [search.max_buckets] cluster level setting.`,
      );
    }
  }

  subs(aggs: Agg[], docs: Docs): Map<string, Result> {
    const out = new Map<string, Result>();
    for (const a of aggs) out.set(a.name, a.run(docs, this));
    return out;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The `aggregations` of a response: `aggs` over the matching documents. */
export function aggregate(ctx: AggregationContext, matches: DocSet, aggs: unknown): Record<string, unknown> {
  const compiled = compileAggs(ctx, aggs, true);
  const runner = new Runner();
  const docs = matches.toArray();
  const out: Record<string, unknown> = {};
  for (const a of compiled) out[a.name] = output(a, a.run(docs, runner));
  return out;
}

/** An aggregation's JSON: `meta` first, as Elasticsearch writes it. */
function output(agg: Agg, result: Result): Record<string, unknown> {
  return agg.meta === undefined ? result.json : { meta: agg.meta, ...result.json };
}

function withSubs(
  bucket: Record<string, unknown>,
  subs: Agg[],
  results: Map<string, Result>,
): Record<string, unknown> {
  for (const a of subs) bucket[a.name] = output(a, results.get(a.name)!);
  return bucket;
}

const SUPPORTED = [
  'terms',
  'date_histogram',
  'date_range',
  'range',
  'filters',
  'filter',
  'composite',
  'avg',
  'sum',
  'min',
  'max',
  'value_count',
  'cardinality',
  'percentiles',
  'stats',
];

function compileAggs(ctx: AggregationContext, aggs: unknown, topLevel: boolean): Agg[] {
  if (!isObject(aggs)) throw badRequest(`aggregations must be an object, got ${JSON.stringify(aggs)}`);
  return Object.entries(aggs).map(([name, def]) => compileAgg(ctx, name, def, topLevel));
}

function compileAgg(ctx: AggregationContext, name: string, def: unknown, topLevel: boolean): Agg {
  if (/[[\]>]/.test(name)) {
    throw badRequest(
      `Invalid aggregation name [${name}]. Aggregation names can contain any character except '[', ']', and '>'`,
    );
  }
  if (!isObject(def))
    throw badRequest(`Expected [START_OBJECT] under [${name}], but got ${JSON.stringify(def)}`);
  let type: string | undefined;
  let body: unknown;
  let subsDef: unknown;
  let meta: unknown;
  for (const [k, v] of Object.entries(def)) {
    if (k === 'aggs' || k === 'aggregations') {
      if (subsDef !== undefined) throw badRequest(`Found two sub aggregation definitions under [${name}]`);
      subsDef = v;
    } else if (k === 'meta') {
      if (!isObject(v)) throw badRequest(`[meta] of aggregation [${name}] must be an object`);
      meta = v;
    } else if (type !== undefined) {
      throw badRequest(`Found two aggregation type definitions in [${name}]: [${type}] and [${k}]`);
    } else {
      type = k;
      body = v;
    }
  }
  if (type === undefined) throw badRequest(`Missing definition for aggregation [${name}]`);
  const build = Object.hasOwn(BUILDERS, type) ? BUILDERS[type] : undefined;
  if (!build) {
    throw unsupported(`the aggregation [${type}] (in [${name}]; supported: ${SUPPORTED.join(', ')})`);
  }
  if (!isObject(body)) throw badRequest(`Expected [START_OBJECT] under [${type}] in [${name}]`);
  if (type === 'composite' && !topLevel)
    throw badRequest(`[composite] aggregation cannot be used with a parent aggregation of type: [${name}]`);
  const subs = subsDef === undefined ? [] : compileAggs(ctx, subsDef, false);
  const agg = build(ctx, name, body, subs);
  if (agg.kind === 'metric' && subs.length > 0)
    throw badRequest(`Aggregator [${name}] of type [${type}] cannot accept sub-aggregations`);
  return { ...agg, meta };
}

function checkOptions(
  body: Record<string, unknown>,
  allowed: readonly string[],
  type: string,
  name: string,
): void {
  for (const k of Object.keys(body)) {
    if (!allowed.includes(k)) {
      if (k === 'script') throw unsupported(`scripts (in ${type} aggregation [${name}])`);
      throw unsupported(`the ${type} option [${k}] (in [${name}])`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Fields and values

const NUMERIC: readonly FieldType[] = ['long', 'float', 'double', 'date', 'boolean'];
const ANY_DOC_VALUES: readonly FieldType[] = ['keyword', ...NUMERIC];

function fielddataError(field: string): Error {
  return badRequest(
    `Fielddata is disabled on [${field}]. Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead ([${field}.keyword])`,
  );
}

/** The field an aggregation reads; undefined when unmapped (Elasticsearch then aggregates nothing). */
function fieldOf(
  ctx: AggregationContext,
  body: Record<string, unknown>,
  type: string,
  allowed: readonly FieldType[],
): FieldIndex | undefined {
  if (body.script !== undefined) throw unsupported(`scripts (in a ${type} aggregation)`);
  if (typeof body.field !== 'string' || body.field === '')
    throw badRequest(
      `Required one of fields [field, script], but none were specified. (${type} aggregation)`,
    );
  const f = ctx.ix.fields.get(body.field);
  if (!f) return undefined;
  if (f.spec.type === 'text') throw fielddataError(body.field);
  if (!allowed.includes(f.spec.type)) {
    throw badRequest(
      `Field [${body.field}] of type [${f.spec.type}] is not supported for aggregation [${type}]`,
    );
  }
  return f;
}

/** How a metric's values print as `value_as_string`: dates in their format, booleans; none for numbers. */
interface ValueFormat {
  print(v: number): string;
  /** stats writes booleans as JSON booleans, not strings (as Elasticsearch does). */
  raw(v: number): unknown;
}

function valueFormat(f: FieldIndex | undefined, format: unknown, name: string): ValueFormat | undefined {
  if (f?.spec.type === 'date') {
    const fmt = dateFormatter(format, f.spec.formats, UTC_ZONE);
    return { print: (v) => fmt.print(Math.trunc(v)), raw: (v) => fmt.print(Math.trunc(v)) };
  }
  if (format !== undefined) throw unsupported(`the [format] option on a non-date field (in [${name}])`);
  if (f?.spec.type === 'boolean') return { print: (v) => (v !== 0 ? 'true' : 'false'), raw: (v) => v !== 0 };
  return undefined;
}

/** A metric's `missing`: the value documents without the field count as. */
function missingValue(
  f: FieldIndex | undefined,
  missing: unknown,
  now: number,
  name: string,
): number | undefined {
  if (missing === undefined || missing === null) return undefined;
  if (f?.spec.type === 'date')
    return parseBound(dateFormatter(undefined, f.spec.formats, UTC_ZONE), missing, now, name);
  if (f?.spec.type === 'boolean' && typeof missing === 'boolean') return missing ? 1 : 0;
  const n = typeof missing === 'number' ? missing : typeof missing === 'string' ? Number(missing) : NaN;
  if (!Number.isFinite(n))
    throw badRequest(`[missing] of [${name}] must be a number, got ${JSON.stringify(missing)}`);
  return n;
}

/** Calls fn with every value of every document (the `missing` value for documents without one). */
function eachValue(
  f: FieldIndex | undefined,
  docs: Docs,
  missing: number | undefined,
  fn: (v: number) => void,
): void {
  for (const d of docs) {
    const values = f ? f.docValues.get(d) : [];
    if (values.length === 0) {
      if (missing !== undefined) fn(missing);
      continue;
    }
    for (const v of values) fn(v);
  }
}

/** Elasticsearch's CompensatedSum (Kahan summation), so sums of doubles agree to the last bit. */
class CompensatedSum {
  value = 0;
  private delta = 0;

  add(v: number): void {
    if (!Number.isFinite(v)) {
      this.value += v;
      return;
    }
    if (Number.isFinite(this.value)) {
      const corrected = v + this.delta;
      const updated = this.value + corrected;
      this.delta = corrected - (updated - this.value);
      this.value = updated;
    }
  }
}

/** Java's Double.toString: `50.0`, `99.9`, `1.0E7`, `1.0E-4`. */
export function javaDouble(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  const abs = Math.abs(x);
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(x);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exp] = x.toExponential().split('e') as [string, string];
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exp)}`;
}

/** Double.compare: NaN above everything. */
function compareDoubles(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  const an = Number.isNaN(a);
  const bn = Number.isNaN(b);
  return an === bn ? 0 : an ? 1 : -1;
}

// ---------------------------------------------------------------------------------------------
// Metric aggregations

type SimpleMetric = 'avg' | 'sum' | 'min' | 'max';

function simpleMetric(type: SimpleMetric): Builder {
  return (ctx, name, body, subs) => {
    checkOptions(body, ['field', 'missing', 'format'], type, name);
    const f = fieldOf(ctx, body, type, NUMERIC);
    const fmt = valueFormat(f, body.format, name);
    const missing = missingValue(f, body.missing, ctx.query.now, name);
    return {
      name,
      type,
      kind: 'metric',
      subs,
      hasProp: (p) => p === undefined || p === 'value',
      run(docs) {
        let count = 0;
        const sum = new CompensatedSum();
        let min = Infinity;
        let max = -Infinity;
        eachValue(f, docs, missing, (v) => {
          count++;
          if (type === 'sum' || type === 'avg') sum.add(v);
          if (v < min) min = v;
          if (v > max) max = v;
        });
        const value =
          type === 'sum' ? sum.value : type === 'avg' ? sum.value / count : type === 'min' ? min : max;
        const has = type === 'sum' || (type === 'avg' ? count > 0 : Number.isFinite(value));
        const json: Record<string, unknown> = { value: has ? value : null };
        if (fmt && has) json.value_as_string = fmt.print(value);
        return { json, sortValue: () => value };
      },
    };
  };
}

const valueCount: Builder = (ctx, name, body, subs) => {
  checkOptions(body, ['field'], 'value_count', name);
  const f = fieldOf(ctx, body, 'value_count', ANY_DOC_VALUES);
  const keyword = f?.spec.type === 'keyword';
  return {
    name,
    type: 'value_count',
    kind: 'metric',
    subs,
    hasProp: (p) => p === undefined || p === 'value',
    run(docs) {
      let count = 0;
      if (f) {
        for (const d of docs) {
          const values = f.docValues.get(d);
          // keyword doc values are a set per document; numbers keep repeated values
          count += keyword && values.length > 1 ? new Set(values).size : values.length;
        }
      }
      return { json: { value: count }, sortValue: () => count };
    },
  };
};

const cardinality: Builder = (ctx, name, body, subs) => {
  checkOptions(body, ['field', 'precision_threshold', 'execution_hint', 'missing'], 'cardinality', name);
  const f = fieldOf(ctx, body, 'cardinality', ANY_DOC_VALUES);
  let missing: number | string | undefined;
  if (body.missing !== undefined && body.missing !== null) {
    missing =
      f?.spec.type === 'keyword' ? String(body.missing) : missingValue(f, body.missing, ctx.query.now, name);
  }
  return {
    name,
    type: 'cardinality',
    kind: 'metric',
    subs,
    hasProp: (p) => p === undefined || p === 'value',
    run(docs) {
      const seen = new Set<number | string>();
      if (f) {
        const keyword = f.spec.type === 'keyword';
        for (const d of docs) {
          const values = f.docValues.get(d);
          if (values.length === 0 && missing !== undefined) seen.add(missing);
          for (const v of values) seen.add(keyword ? f.terms[v]! : v);
        }
      } else if (missing !== undefined && docs.length > 0) {
        seen.add(missing);
      }
      return { json: { value: seen.size }, sortValue: () => seen.size };
    },
  };
};

const DEFAULT_PERCENTS = [1, 5, 25, 50, 75, 95, 99];

/** Elasticsearch's quantile over all values (its TDigest below 20 × compression values): linear interpolation. */
export function quantile(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const index = q * (n - 1);
  let lo = Math.floor(index);
  let hi = lo + 1;
  let weight = index - lo;
  if (index <= 0) {
    lo = 0;
    hi = 0;
    weight = 0;
  }
  if (index >= n - 1) {
    lo = n - 1;
    hi = n - 1;
    weight = 0;
  }
  const low = sorted[lo]!;
  return low + weight * (sorted[hi]! - low);
}

const percentiles: Builder = (ctx, name, body, subs) => {
  checkOptions(
    body,
    ['field', 'percents', 'keyed', 'tdigest', 'missing', 'format', 'hdr'],
    'percentiles',
    name,
  );
  if (body.hdr !== undefined) throw unsupported(`percentiles with [hdr] (in [${name}])`);
  if (body.tdigest !== undefined) {
    if (!isObject(body.tdigest)) throw badRequest(`[tdigest] of [${name}] must be an object`);
    for (const k of Object.keys(body.tdigest))
      if (k !== 'compression' && k !== 'execution_hint')
        throw unsupported(`the tdigest option [${k}] (in [${name}])`);
  }
  const f = fieldOf(ctx, body, 'percentiles', NUMERIC);
  const fmt = valueFormat(f, body.format, name);
  const missing = missingValue(f, body.missing, ctx.query.now, name);
  let percents = DEFAULT_PERCENTS;
  if (body.percents !== undefined) {
    if (!Array.isArray(body.percents) || body.percents.length === 0)
      throw badRequest(`[percents] must not be empty (in [${name}])`);
    percents = body.percents.map((p) => {
      const n = typeof p === 'number' ? p : Number(p);
      if (!Number.isFinite(n) || n < 0 || n > 100)
        throw badRequest(`percent must be in [0,100], got [${String(p)}]: [${name}]`);
      return n;
    });
    percents = [...percents].sort((a, b) => a - b);
  }
  const keyed = body.keyed === undefined ? true : body.keyed === true || body.keyed === 'true';
  return {
    name,
    type: 'percentiles',
    kind: 'metric',
    subs,
    hasProp: (p) => p !== undefined && p.trim() !== '' && Number.isFinite(Number(p)),
    run(docs) {
      const values: number[] = [];
      eachValue(f, docs, missing, (v) => values.push(v));
      const sorted = Float64Array.from(values).sort();
      const at = (p: number) => quantile(sorted, p / 100);
      let out: unknown;
      if (keyed) {
        const o: Record<string, unknown> = {};
        for (const p of percents) {
          const v = at(p);
          const key = javaDouble(p);
          o[key] = Number.isNaN(v) ? null : v;
          if (fmt && !Number.isNaN(v)) o[`${key}_as_string`] = fmt.print(v);
        }
        out = o;
      } else {
        out = percents.map((p) => {
          const v = at(p);
          const entry: Record<string, unknown> = { key: p, value: Number.isNaN(v) ? null : v };
          if (fmt && !Number.isNaN(v)) entry.value_as_string = fmt.print(v);
          return entry;
        });
      }
      return { json: { values: out }, sortValue: (p) => at(Number(p)) };
    },
  };
};

const STATS_PROPS = ['count', 'min', 'max', 'avg', 'sum'];

const stats: Builder = (ctx, name, body, subs) => {
  checkOptions(body, ['field', 'missing', 'format'], 'stats', name);
  const f = fieldOf(ctx, body, 'stats', NUMERIC);
  const fmt = valueFormat(f, body.format, name);
  const missing = missingValue(f, body.missing, ctx.query.now, name);
  return {
    name,
    type: 'stats',
    kind: 'metric',
    subs,
    hasProp: (p) => p !== undefined && STATS_PROPS.includes(p),
    run(docs) {
      let count = 0;
      const sum = new CompensatedSum();
      let min = Infinity;
      let max = -Infinity;
      eachValue(f, docs, missing, (v) => {
        count++;
        sum.add(v);
        if (v < min) min = v;
        if (v > max) max = v;
      });
      const avg = sum.value / count;
      const json: Record<string, unknown> = {
        count,
        min: count ? min : null,
        max: count ? max : null,
        avg: count ? avg : null,
        sum: sum.value,
      };
      if (fmt && count) {
        json.min_as_string = fmt.raw(min);
        json.max_as_string = fmt.raw(max);
        json.avg_as_string = fmt.raw(avg);
        json.sum_as_string = fmt.raw(sum.value);
      }
      const values: Record<string, number> = { count, min, max, avg, sum: sum.value };
      return { json, sortValue: (p) => values[p!]! };
    },
  };
};

// ---------------------------------------------------------------------------------------------
// Bucket order: _count, _key, or a path to a sub-aggregation's value

interface OrderStep {
  name: string;
  prop: string | undefined;
}

type Order =
  | { by: '_count'; desc: boolean }
  | { by: '_key'; desc: boolean }
  | { by: 'path'; path: OrderStep[]; desc: boolean };

const ORDER_PATH_RULE =
  'Buckets can only be sorted on a sub-aggregator path that is built out of zero or more single-bucket aggregations within the path and a final single-bucket or a metrics aggregation at the path end.';

function parsePath(text: string): OrderStep[] {
  return text.split('>').map((element) => {
    const bracket = /^([^[]+)\[([^\]]*)\]$/.exec(element);
    if (bracket) return { name: bracket[1]!, prop: bracket[2]! };
    const dot = element.indexOf('.');
    return dot < 0
      ? { name: element, prop: undefined }
      : { name: element.slice(0, dot), prop: element.slice(dot + 1) };
  });
}

/** Checks a sub-aggregation order path against the aggregations it names, as Elasticsearch does. */
function checkPath(text: string, path: OrderStep[], subs: Agg[]): void {
  let level = subs;
  path.forEach((step, i) => {
    const agg = level.find((a) => a.name === step.name);
    if (!agg) {
      throw badRequest(
        `Invalid aggregation order path [${text}]. The provided aggregation [${step.name}] either does not exist, or is a pipeline aggregation and cannot be used to sort the buckets.`,
      );
    }
    const last = i === path.length - 1;
    if (
      agg.kind === 'multi' ||
      (!last && agg.kind !== 'single') ||
      (agg.kind === 'single' && step.prop !== undefined)
    )
      throw badRequest(`Invalid aggregation order path [${text}]. ${ORDER_PATH_RULE}`);
    if (last && agg.kind === 'metric' && !agg.hasProp!(step.prop)) {
      throw badRequest(
        step.prop === undefined
          ? `Invalid aggregation order path [${text}]. When ordering on a multi-value metrics aggregation a metric name must be specified.`
          : `Invalid aggregation order path [${text}]. Unknown metric name [${step.prop}] on multi-value metrics aggregation [${step.name}]`,
      );
    }
    level = agg.subs;
  });
}

function parseOrder(order: unknown, subs: Agg[], name: string, defaultOrder: Order[]): Order[] {
  if (order === undefined) return defaultOrder;
  const list = Array.isArray(order) ? order : [order];
  return list.map((o) => {
    const entries = isObject(o) ? Object.entries(o) : [];
    if (entries.length !== 1) throw badRequest(`invalid order in [${name}]: ${JSON.stringify(o)}`);
    const [by, dir] = entries[0]!;
    const d = String(dir).toLowerCase();
    if (d !== 'asc' && d !== 'desc')
      throw badRequest(`Unknown order direction [${String(dir)}] in [${name}]`);
    const desc = d === 'desc';
    if (by === '_count') return { by: '_count', desc };
    if (by === '_key' || by === '_term') return { by: '_key', desc };
    const path = parsePath(by);
    checkPath(by, path, subs);
    return { by: 'path', path, desc };
  });
}

function resolvePath(path: OrderStep[], results: Map<string, Result>): number {
  let level = results;
  for (let i = 0; i < path.length; i++) {
    const r = level.get(path[i]!.name)!;
    if (i === path.length - 1) return r.sortValue ? r.sortValue(path[i]!.prop) : r.docCount!;
    level = r.subs!;
  }
  return NaN;
}

interface SortableBucket<K> {
  key: K;
  docs: Docs;
  subs?: Map<string, Result>;
}

function needsSubs(order: Order[]): boolean {
  return order.some((o) => o.by === 'path');
}

/** Sorts buckets by the order, then by key ascending (Elasticsearch's tie breaker). */
function sortBuckets<K>(
  buckets: SortableBucket<K>[],
  order: Order[],
  compareKeys: (a: K, b: K) => number,
): void {
  buckets.sort((a, b) => {
    for (const o of order) {
      const c =
        o.by === '_count'
          ? a.docs.length - b.docs.length
          : o.by === '_key'
            ? compareKeys(a.key, b.key)
            : compareDoubles(resolvePath(o.path, a.subs!), resolvePath(o.path, b.subs!));
      if (c !== 0) return o.desc ? -c : c;
    }
    return compareKeys(a.key, b.key);
  });
}

// ---------------------------------------------------------------------------------------------
// terms

type TermKey = number | string;

const compareTermKeys = (a: TermKey, b: TermKey) =>
  typeof a === 'string' && typeof b === 'string' ? compareTerms(a, b) : (a as number) - (b as number);

const terms: Builder = (ctx, name, body, subs) => {
  checkOptions(
    body,
    [
      'field',
      'size',
      'min_doc_count',
      'order',
      'missing',
      'shard_size',
      'show_term_doc_count_error',
      'execution_hint',
      'collect_mode',
      'shard_min_doc_count',
    ],
    'terms',
    name,
  );
  if (typeof body.field !== 'string') throw badRequest(`terms aggregation [${name}] needs a [field]`);
  const size = body.size === undefined ? 10 : Number(body.size);
  const minDocCount = body.min_doc_count === undefined ? 1 : Number(body.min_doc_count);
  if (!Number.isInteger(size) || size < 1)
    throw badRequest(`[size] must be greater than 0. Found [${size}] in [${name}]`);
  if (!Number.isInteger(minDocCount) || minDocCount < 0)
    throw badRequest(
      `[min_doc_count] must be greater than or equal to 0. Found [${minDocCount}] in [${name}]`,
    );
  const f = ctx.ix.fields.get(body.field);
  if (f?.spec.type === 'text') throw fielddataError(body.field);
  const order = parseOrder(body.order, subs, name, [{ by: '_count', desc: true }]);
  const missing = body.missing;
  const missingKey: TermKey | undefined =
    missing === undefined || missing === null
      ? undefined
      : typeof missing === 'number' || typeof missing === 'string'
        ? missing
        : String(missing);
  return {
    name,
    type: 'terms',
    kind: 'multi',
    subs,
    run(docs, r) {
      if (!f) {
        return { json: { doc_count_error_upper_bound: 0, sum_other_doc_count: 0, buckets: [] } };
      }
      const keyOf = (v: number): TermKey => (f.spec.type === 'keyword' ? f.terms[v]! : v);
      const groups = new Map<TermKey, number[]>();
      const put = (k: TermKey, d: number) => {
        const g = groups.get(k);
        if (g) g.push(d);
        else groups.set(k, [d]);
      };
      for (const d of docs) {
        const values = f.docValues.get(d);
        if (values.length === 0) {
          if (missingKey !== undefined) put(missingKey, d);
        } else if (values.length === 1) {
          put(keyOf(values[0]!), d);
        } else {
          for (const k of new Set(values.map(keyOf))) put(k, d);
        }
      }
      if (minDocCount === 0) {
        // as Elasticsearch: every term of the searched indices, matching or not
        for (let d = 0; d < ctx.ix.size; d++) {
          if (!ctx.searched.has(d)) continue;
          for (const v of f.docValues.get(d)) {
            const k = keyOf(v);
            if (!groups.has(k)) groups.set(k, []);
          }
        }
      }
      let total = 0;
      const buckets: SortableBucket<TermKey>[] = [];
      for (const [key, g] of groups) {
        total += g.length;
        if (g.length >= minDocCount) buckets.push({ key, docs: g });
      }
      if (needsSubs(order)) for (const b of buckets) b.subs = r.subs(subs, b.docs);
      sortBuckets(buckets, order, compareTermKeys);
      const kept = buckets.slice(0, size);
      r.consume(kept.length);
      // as Elasticsearch: every counted document not in a returned bucket, below min_doc_count or not
      const other = total - kept.reduce((s, b) => s + b.docs.length, 0);
      return {
        json: {
          doc_count_error_upper_bound: 0,
          sum_other_doc_count: other,
          buckets: kept.map((b) =>
            withSubs(termBucket(f, b.key, b.docs.length), subs, b.subs ?? r.subs(subs, b.docs)),
          ),
        },
      };
    },
  };
};

function termBucket(f: FieldIndex, key: TermKey, docCount: number): Record<string, unknown> {
  if (f.spec.type === 'date' && typeof key === 'number')
    return { key, key_as_string: formatDate(key), doc_count: docCount };
  if (f.spec.type === 'boolean' && typeof key === 'number')
    return { key, key_as_string: key ? 'true' : 'false', doc_count: docCount };
  return { key, doc_count: docCount };
}

// ---------------------------------------------------------------------------------------------
// date_histogram

/** The rounding of a date_histogram (or composite date_histogram source), without its offset. */
function histogramRounding(
  body: Record<string, unknown>,
  where: string,
  zone: TimeZone,
  name: string,
): Rounding {
  if (body.interval !== undefined)
    throw badRequest(`[${where}] unknown field [interval] did you mean [fixed_interval]?`);
  const fixed = body.fixed_interval;
  const calendar = body.calendar_interval;
  if (fixed !== undefined && calendar !== undefined)
    throw badRequest(
      `[${where}] failed to parse field [calendar_interval]: Cannot use [calendar_interval] with [fixed_interval] configuration option.`,
    );
  if (fixed !== undefined) {
    const ms = typeof fixed === 'string' ? parseTimeValue(fixed) : undefined;
    if (ms === undefined || !Number.isInteger(ms))
      throw badRequest(`[${where}] failed to parse field [fixed_interval]`);
    if (ms <= 0) throw badRequest('Zero or negative time interval not supported');
    return fixedRounding(ms, zone);
  }
  if (calendar !== undefined) {
    const unit = typeof calendar === 'string' ? calendarUnit(calendar.trim()) : undefined;
    if (!unit) throw badRequest(`[${where}] failed to parse field [calendar_interval]`);
    return calendarRounding(unit, zone);
  }
  throw badRequest(`Invalid interval specified, must be non-null and non-empty (in ${where} [${name}])`);
}

/** What a date_histogram and a composite date_histogram source read alike: zone, rounding, offset, field. */
function histogramBasics(ctx: AggregationContext, body: Record<string, unknown>, name: string) {
  const zone = parseTimeZone(body.time_zone, 'date_histogram');
  return {
    zone,
    rounding: histogramRounding(body, 'date_histogram', zone, name),
    offset: parseOffset(body.offset, 'date_histogram'),
    f: fieldOf(ctx, body, 'date_histogram', ['date', 'long', 'float', 'double']),
  };
}

/** extended_bounds / hard_bounds: {min, max} as numbers or dates in the aggregation's format. */
function parseBounds(
  value: unknown,
  what: string,
  fmt: DateFormatter | undefined,
  now: number,
): { min: number | undefined; max: number | undefined } | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw badRequest(`[${what}] must be an object with [min] and/or [max]`);
  for (const k of Object.keys(value))
    if (k !== 'min' && k !== 'max') throw badRequest(`[${what}] unknown field [${k}]`);
  const read = (v: unknown) => {
    if (v === undefined || v === null) return undefined;
    if (fmt) return parseBound(fmt, v, now, what);
    const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
    if (!Number.isFinite(n)) throw badRequest(`[${what}] must be numbers, got ${JSON.stringify(v)}`);
    return Math.trunc(n);
  };
  return { min: read(value.min), max: read(value.max) };
}

const dateHistogram: Builder = (ctx, name, body, subs) => {
  checkOptions(
    body,
    [
      'field',
      'fixed_interval',
      'calendar_interval',
      'interval',
      'offset',
      'time_zone',
      'min_doc_count',
      'extended_bounds',
      'hard_bounds',
      'keyed',
      'format',
      'order',
    ],
    'date_histogram',
    name,
  );
  const { zone, rounding, offset, f } = histogramBasics(ctx, body, name);
  const isDate = !f || f.spec.type === 'date';
  const fmt =
    isDate || body.format !== undefined ? dateFormatter(body.format, f?.spec.formats, zone) : undefined;
  const minDocCount = body.min_doc_count === undefined ? 0 : Number(body.min_doc_count);
  if (!Number.isInteger(minDocCount) || minDocCount < 0)
    throw badRequest(
      `[min_doc_count] must be greater than or equal to 0. Found [${String(body.min_doc_count)}] in [${name}]`,
    );
  const now = ctx.query.now;
  const extended = parseBounds(body.extended_bounds, 'extended_bounds', fmt, now);
  const hard = parseBounds(body.hard_bounds, 'hard_bounds', fmt, now);
  if (extended && hard) {
    const outside =
      (hard.min !== undefined && (extended.min === undefined || extended.min < hard.min)) ||
      (hard.max !== undefined && (extended.max === undefined || extended.max > hard.max));
    if (outside) throw badRequest(`Extended bounds have to be inside hard bounds (in [${name}])`);
  }
  if (extended?.min !== undefined && extended.max !== undefined && extended.min > extended.max)
    throw badRequest(
      `[extended_bounds.min][${extended.min}] cannot be greater than [extended_bounds.max][${extended.max}] for histogram aggregation [${name}]`,
    );
  const keyed = body.keyed === true || body.keyed === 'true';
  const order = parseOrder(body.order, subs, name, [{ by: '_key', desc: false }]);
  const keyOf = (v: number) => rounding.round(v - offset) + offset;
  const nextKey = (k: number) => rounding.next(k - offset) + offset;
  // extended bounds are rounded without the offset, then shifted by it; hard bounds with it
  const extMin = extended?.min !== undefined ? rounding.round(extended.min) + offset : undefined;
  const extMax = extended?.max !== undefined ? rounding.round(extended.max) + offset : undefined;
  const hardMin = hard?.min !== undefined ? keyOf(hard.min) : undefined;
  const hardMax = hard?.max !== undefined ? keyOf(hard.max) : undefined;
  const keyString = (k: number) => (fmt ? fmt.print(k) : String(k));
  return {
    name,
    type: 'date_histogram',
    kind: 'multi',
    subs,
    run(docs, r) {
      const groups = new Map<number, number[]>();
      if (f) {
        for (const d of docs) {
          const values = f.docValues.get(d);
          const keys = values.length === 1 ? [keyOf(values[0]!)] : [...new Set(values.map(keyOf))];
          for (const k of keys) {
            if ((hardMin !== undefined && k < hardMin) || (hardMax !== undefined && k >= hardMax)) continue;
            const g = groups.get(k);
            if (g) g.push(d);
            else groups.set(k, [d]);
          }
        }
      }
      let buckets: SortableBucket<number>[] = [...groups.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([key, g]) => ({ key, docs: g }));
      if (minDocCount === 0) {
        const filled: SortableBucket<number>[] = [];
        const empty = (key: number) => {
          filled.push({ key, docs: [] });
          if (filled.length > MAX_BUCKETS) r.consume(filled.length);
        };
        if (buckets.length === 0) {
          if (extMin !== undefined && extMax !== undefined)
            for (let k = extMin; k <= extMax; k = nextKey(k)) empty(k);
        } else {
          if (extMin !== undefined) for (let k = extMin; k < buckets[0]!.key; k = nextKey(k)) empty(k);
          let previous: number | undefined;
          for (const b of buckets) {
            if (previous !== undefined) for (let k = nextKey(previous); k < b.key; k = nextKey(k)) empty(k);
            filled.push(b);
            previous = b.key;
          }
          if (extMax !== undefined) for (let k = nextKey(previous!); k <= extMax; k = nextKey(k)) empty(k);
        }
        buckets = filled;
      } else {
        buckets = buckets.filter((b) => b.docs.length >= minDocCount);
      }
      r.consume(buckets.length);
      const byKeyAsc = order.length === 1 && order[0]!.by === '_key' && !order[0]!.desc;
      if (!byKeyAsc) {
        if (needsSubs(order)) for (const b of buckets) b.subs = r.subs(subs, b.docs);
        sortBuckets(buckets, order, (a, b) => a - b);
      }
      const out = buckets.map((b) => {
        const bucket: Record<string, unknown> = fmt ? { key_as_string: keyString(b.key) } : {};
        bucket.key = b.key;
        bucket.doc_count = b.docs.length;
        return withSubs(bucket, subs, b.subs ?? r.subs(subs, b.docs));
      });
      if (!keyed) return { json: { buckets: out } };
      const obj: Record<string, unknown> = {};
      for (const b of out) obj[typeof b.key_as_string === 'string' ? b.key_as_string : String(b.key)] = b;
      return { json: { buckets: obj } };
    },
  };
};

// ---------------------------------------------------------------------------------------------
// date_range and range

/**
 * The documents with a value in [from, to), for many ranges over the same documents: their
 * values sorted once, each range found by binary search (the engine batches up to 720 ranges).
 */
function valueLookup(f: FieldIndex, docs: Docs): (from: number, to: number) => number[] {
  const values: number[] = [];
  const owners: number[] = [];
  let multi = false;
  for (const d of docs) {
    const vs = f.docValues.get(d);
    if (vs.length > 1) multi = true;
    for (const v of vs) {
      values.push(v);
      owners.push(d);
    }
  }
  const order = Uint32Array.from(values.keys()).sort(
    (a, b) => values[a]! - values[b]! || owners[a]! - owners[b]!,
  );
  const sorted = Float64Array.from(order, (i) => values[i]!);
  const lowerBound = (x: number) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return (from, to) => {
    const start = lowerBound(from);
    const end = lowerBound(to);
    const inside: number[] = [];
    for (let i = start; i < end; i++) inside.push(owners[order[i]!]!);
    // ascending document order, each document once
    inside.sort((a, b) => a - b);
    if (!multi) return inside;
    return inside.filter((d, i) => i === 0 || inside[i - 1] !== d);
  };
}

function rangeAggregation(type: 'date_range' | 'range'): Builder {
  return (ctx, name, body, subs) => {
    checkOptions(body, ['field', 'ranges', 'keyed', 'format', 'time_zone'], type, name);
    const f = fieldOf(ctx, body, type, ['date', 'long', 'float', 'double']);
    const isDate = f ? f.spec.type === 'date' : type === 'date_range';
    if (!isDate && body.time_zone !== undefined)
      throw unsupported(`[time_zone] on a numeric range (in [${name}])`);
    const zone = parseTimeZone(body.time_zone, type);
    const fmt = isDate ? dateFormatter(body.format, f?.spec.formats, zone) : undefined;
    if (!isDate && body.format !== undefined)
      throw unsupported(`the [format] option on a numeric range (in [${name}])`);
    if (!Array.isArray(body.ranges) || body.ranges.length === 0)
      throw badRequest(`No [ranges] specified for the [${name}] aggregation`);
    const now = ctx.query.now;
    const bound = (v: unknown, what: string, open: number): number => {
      if (v === undefined || v === null) return open;
      if (fmt) return parseBound(fmt, v, now, `[${what}] of [${name}]`);
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (Number.isNaN(n))
        throw badRequest(`[${what}] of [${name}] must be a number, got ${JSON.stringify(v)}`);
      return n;
    };
    const print = (v: number) => (fmt ? fmt.print(v) : javaDouble(v));
    const ranges = body.ranges
      .map((raw, i) => {
        if (!isObject(raw)) throw badRequest(`[ranges] of [${name}] must be objects`);
        for (const k of Object.keys(raw))
          if (!['key', 'from', 'to'].includes(k))
            throw badRequest(`[ranges] unknown field [${k}] (in [${name}])`);
        const from = bound(raw.from, 'from', -Infinity);
        const to = bound(raw.to, 'to', Infinity);
        const key =
          raw.key !== undefined && raw.key !== null
            ? String(raw.key)
            : `${from === -Infinity ? '*' : print(from)}-${to === Infinity ? '*' : print(to)}`;
        return { key, from, to, i };
      })
      // Elasticsearch answers the ranges sorted by from, then to (stable)
      .sort((a, b) => a.from - b.from || a.to - b.to || a.i - b.i);
    const keyed = body.keyed === true || body.keyed === 'true';
    return {
      name,
      type,
      kind: 'multi',
      subs,
      run(docs, r) {
        r.consume(ranges.length);
        const lookup = f ? valueLookup(f, docs) : undefined;
        const out = ranges.map((range) => {
          const inside = lookup ? lookup(range.from, range.to) : [];
          const bucket: Record<string, unknown> = keyed ? {} : { key: range.key };
          if (range.from !== -Infinity) {
            bucket.from = range.from;
            if (fmt) bucket.from_as_string = fmt.print(range.from);
          }
          if (range.to !== Infinity) {
            bucket.to = range.to;
            if (fmt) bucket.to_as_string = fmt.print(range.to);
          }
          bucket.doc_count = inside.length;
          return { key: range.key, bucket: withSubs(bucket, subs, r.subs(subs, inside)) };
        });
        if (!keyed) return { json: { buckets: out.map((o) => o.bucket) } };
        const obj: Record<string, unknown> = {};
        for (const o of out) obj[o.key] = o.bucket;
        return { json: { buckets: obj } };
      },
    };
  };
}

// ---------------------------------------------------------------------------------------------
// filters and filter

/** A query's documents, evaluated once per request. */
function lazyQuery(ctx: AggregationContext, query: unknown, where: string): () => DocSet {
  const compiled = compileQuery(query, where);
  let set: DocSet | undefined;
  return () => (set ??= evaluate(ctx.query, compiled));
}

const filters: Builder = (ctx, name, body, subs) => {
  checkOptions(body, ['filters', 'other_bucket', 'other_bucket_key', 'keyed'], 'filters', name);
  const defs = body.filters;
  let named: boolean;
  let list: { key: string | undefined; docs: () => DocSet }[];
  if (Array.isArray(defs)) {
    named = false;
    list = defs.map((q, i) => ({ key: undefined, docs: lazyQuery(ctx, q, `filters[${i}]`) }));
  } else if (isObject(defs)) {
    named = true;
    // Elasticsearch keeps named filters sorted by key, whatever the request's order
    list = Object.keys(defs)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((k) => ({ key: k, docs: lazyQuery(ctx, defs[k], `filters.${k}`) }));
  } else {
    throw badRequest(`[filters] of [${name}] must be an object of named queries or an array of queries`);
  }
  if (body.other_bucket_key !== undefined && typeof body.other_bucket_key !== 'string')
    throw badRequest(`[other_bucket_key] of [${name}] must be a string`);
  const otherKey = (body.other_bucket_key as string | undefined) ?? '_other_';
  const other =
    body.other_bucket === true || body.other_bucket === 'true' || body.other_bucket_key !== undefined;
  const keyed = named && body.keyed !== false && body.keyed !== 'false';
  return {
    name,
    type: 'filters',
    kind: 'multi',
    subs,
    run(docs, r) {
      r.consume(list.length + (other ? 1 : 0));
      const sets = list.map((l) => l.docs());
      const buckets = list.map((l, i) => {
        const set = sets[i]!;
        return { key: l.key, docs: docs.filter((d) => set.has(d)) };
      });
      if (other) buckets.push({ key: otherKey, docs: docs.filter((d) => !sets.some((s) => s.has(d))) });
      const json = buckets.map((b) => {
        const bucket: Record<string, unknown> = named && !keyed ? { key: b.key } : {};
        bucket.doc_count = b.docs.length;
        return withSubs(bucket, subs, r.subs(subs, b.docs));
      });
      if (!keyed) return { json: { buckets: json } };
      const obj: Record<string, unknown> = {};
      buckets.forEach((b, i) => {
        obj[b.key!] = json[i];
      });
      return { json: { buckets: obj } };
    },
  };
};

const filter: Builder = (ctx, name, body, subs) => {
  const docsOf = lazyQuery(ctx, body, `filter [${name}]`);
  return {
    name,
    type: 'filter',
    kind: 'single',
    subs,
    run(docs, r) {
      const set = docsOf();
      const inside = docs.filter((d) => set.has(d));
      const results = r.subs(subs, inside);
      return {
        json: withSubs({ doc_count: inside.length }, subs, results),
        docCount: inside.length,
        subs: results,
      };
    },
  };
};

// ---------------------------------------------------------------------------------------------
// composite

type SourceValue = number | string | boolean | null;

interface Source {
  name: string;
  desc: boolean;
  missingBucket: boolean;
  /** The values of a document (keys as the response writes them, before formatting). */
  values(d: number): number[] | string[];
  /** The key as the response writes it. */
  print(v: number | string): SourceValue;
  /** An `after` value as a comparable key. */
  parseAfter(v: unknown): number | string | null;
}

function compositeSource(ctx: AggregationContext, def: unknown, i: number, name: string): Source {
  const entries = isObject(def) ? Object.entries(def) : [];
  if (entries.length !== 1)
    throw badRequest(`[sources] of [${name}] must be objects with one named source each`);
  const [sourceName, typed] = entries[0]!;
  const typedEntries = isObject(typed) ? Object.entries(typed) : [];
  if (typedEntries.length !== 1)
    throw badRequest(`source [${sourceName}] of [${name}] must name one source type`);
  const [type, raw] = typedEntries[0]!;
  if (!isObject(raw)) throw badRequest(`source [${sourceName}] of [${name}] must be an object`);
  const body = raw;
  const order = body.order === undefined ? 'asc' : String(body.order).toLowerCase();
  if (order !== 'asc' && order !== 'desc')
    throw badRequest(`Unknown order direction [${String(body.order)}] in [${name}]`);
  const missingBucket = body.missing_bucket === true || body.missing_bucket === 'true';
  const where = `composite source [${sourceName}] (${i})`;
  if (type === 'terms') {
    checkOptions(body, ['field', 'order', 'missing_bucket'], 'composite terms source', name);
    const f = fieldOf(ctx, body, 'terms', ANY_DOC_VALUES);
    const keyword = f?.spec.type === 'keyword';
    return {
      name: sourceName,
      desc: order === 'desc',
      missingBucket,
      values: (d) => {
        if (!f) return [];
        const vs = f.docValues.get(d);
        if (keyword) return [...new Set(vs.map((v) => f.terms[v]!))];
        return vs.length > 1 ? [...new Set(vs)] : [...vs];
      },
      print: (v) => (f?.spec.type === 'boolean' ? v === 1 : v),
      parseAfter: (v) => {
        if (v === null || v === undefined) return null;
        if (keyword || !f) return String(v);
        if (f.spec.type === 'boolean') return v === true || v === 'true' ? 1 : 0;
        if (f.spec.type === 'date' && typeof v === 'string')
          return parseBound(dateFormatter(undefined, f.spec.formats, UTC_ZONE), v, ctx.query.now, where);
        const n = Number(v);
        if (!Number.isFinite(n))
          throw badRequest(`invalid value for [after] of ${where}: ${JSON.stringify(v)}`);
        return n;
      },
    };
  }
  if (type === 'date_histogram') {
    checkOptions(
      body,
      [
        'field',
        'fixed_interval',
        'calendar_interval',
        'interval',
        'offset',
        'time_zone',
        'format',
        'order',
        'missing_bucket',
      ],
      'composite date_histogram source',
      name,
    );
    const { zone, rounding, offset, f } = histogramBasics(ctx, body, name);
    const fmt = body.format !== undefined ? dateFormatter(body.format, f?.spec.formats, zone) : undefined;
    return {
      name: sourceName,
      desc: order === 'desc',
      missingBucket,
      values: (d) => {
        if (!f) return [];
        return [...new Set(f.docValues.get(d).map((v) => rounding.round(v - offset) + offset))];
      },
      print: (v) => (fmt ? fmt.print(v as number) : v),
      parseAfter: (v) => {
        if (v === null || v === undefined) return null;
        if (typeof v === 'number') return v;
        if (fmt) return parseBound(fmt, v, ctx.query.now, where);
        const n = Number(v);
        if (!Number.isFinite(n))
          throw badRequest(`invalid value for [after] of ${where}: ${JSON.stringify(v)}`);
        return n;
      },
    };
  }
  throw unsupported(`the composite source type [${type}] (in [${name}]; supported: terms, date_histogram)`);
}

const composite: Builder = (ctx, name, body, subs) => {
  checkOptions(body, ['size', 'sources', 'after'], 'composite', name);
  if (!Array.isArray(body.sources) || body.sources.length === 0)
    throw badRequest(`Composite [sources] cannot be null or empty (in [${name}])`);
  const sources = body.sources.map((s, i) => compositeSource(ctx, s, i, name));
  const size = body.size === undefined ? 10 : Number(body.size);
  if (!Number.isInteger(size) || size < 1)
    throw badRequest(`[size] must be greater than 0. Found [${size}] in [${name}]`);
  let after: (number | string | null)[] | undefined;
  if (body.after !== undefined) {
    if (!isObject(body.after)) throw badRequest(`[after] of [${name}] must be an object`);
    const a = body.after;
    if (Object.keys(a).length !== sources.length || sources.some((s) => !(s.name in a)))
      throw badRequest(`[after] has ${Object.keys(a).length} value(s) and [sources] has ${sources.length}`);
    after = sources.map((s) => s.parseAfter(a[s.name]));
  }
  /** Composite order: each source in turn, missing values first when ascending, last when descending. */
  const compare = (a: (number | string | null)[], b: (number | string | null)[]) => {
    for (let i = 0; i < sources.length; i++) {
      const x = a[i]!;
      const y = b[i]!;
      let c: number;
      if (x === null || y === null) c = x === y ? 0 : x === null ? -1 : 1;
      else
        c =
          typeof x === 'string' && typeof y === 'string' ? compareTerms(x, y) : (x as number) - (y as number);
      if (c !== 0) return sources[i]!.desc ? -c : c;
    }
    return 0;
  };
  return {
    name,
    type: 'composite',
    kind: 'multi',
    subs,
    run(docs, r) {
      const groups = new Map<string, { key: (number | string | null)[]; docs: number[] }>();
      for (const d of docs) {
        let combos: (number | string | null)[][] = [[]];
        for (const s of sources) {
          let values: (number | string | null)[] = s.values(d);
          if (values.length === 0) {
            if (!s.missingBucket) {
              combos = [];
              break;
            }
            values = [null];
          }
          combos = combos.flatMap((c) => values.map((v) => [...c, v]));
        }
        for (const key of combos) {
          const id = JSON.stringify(key);
          const g = groups.get(id);
          if (g) g.docs.push(d);
          else groups.set(id, { key, docs: [d] });
        }
      }
      let list = [...groups.values()];
      if (after) list = list.filter((g) => compare(g.key, after!) > 0);
      list.sort((a, b) => compare(a.key, b.key));
      const kept = list.slice(0, size);
      r.consume(kept.length);
      const keyJson = (key: (number | string | null)[]) => {
        const o: Record<string, SourceValue> = {};
        sources.forEach((s, i) => {
          o[s.name] = key[i] === null ? null : s.print(key[i]!);
        });
        return o;
      };
      const json: Record<string, unknown> = {};
      if (kept.length > 0) json.after_key = keyJson(kept.at(-1)!.key);
      json.buckets = kept.map((g) =>
        withSubs({ key: keyJson(g.key), doc_count: g.docs.length }, subs, r.subs(subs, g.docs)),
      );
      return { json };
    },
  };
};

const BUILDERS: Record<string, Builder> = {
  terms,
  date_histogram: dateHistogram,
  date_range: rangeAggregation('date_range'),
  range: rangeAggregation('range'),
  filters,
  filter,
  composite,
  avg: simpleMetric('avg'),
  sum: simpleMetric('sum'),
  min: simpleMetric('min'),
  max: simpleMetric('max'),
  value_count: valueCount,
  cardinality,
  percentiles,
  stats,
};
