/**
 * The queries on one field, with the semantics of each field type in Elasticsearch: exact terms
 * (the indexed token on text fields, the whole value on keyword fields, numbers and dates parsed,
 * dates as the instant range their precision covers), ranges, prefix/wildcard/regexp/fuzzy over
 * the term dictionary, phrases with slop, and exists.
 *
 * Type errors (a word against a number field, a prefix on a date) throw FieldQueryError, which
 * lenient query_string evaluation turns into "matches nothing", as Elasticsearch does.
 */
import { type DateContext, DateParseError, parseDateMath } from './dates.ts';
import type { DocIndex, FieldIndex } from './doc-index.ts';
import { DocSet } from './doc-set.ts';
import { FieldQueryError } from '../field-query-error.ts';
import { fieldPattern } from './field-mapping.ts';
import {
  type TermMatcher,
  compareTerms,
  fuzzyTerms,
  regexpMatcher,
  wildcardMatcher,
} from '../term-matchers.ts';

export { FieldQueryError };

export interface EvalContext {
  ix: DocIndex;
  now: number;
}

export function noDocs(ctx: EvalContext): DocSet {
  return DocSet.empty(ctx.ix.size);
}

export function allDocs(ctx: EvalContext): DocSet {
  return ctx.ix.all.clone();
}

export function fieldIndex(ctx: EvalContext, name: string): FieldIndex | undefined {
  return ctx.ix.fields.get(name);
}

const isStringField = (f: FieldIndex) => f.spec.type === 'text' || f.spec.type === 'keyword';

/** Documents holding term ordinal `ord`. */
export function postingsOf(ctx: EvalContext, f: FieldIndex, ord: number | undefined): DocSet {
  const s = noDocs(ctx);
  if (ord === undefined) return s;
  for (const d of f.postings[ord]!) s.add(d);
  return s;
}

/** Documents holding any term that `match` accepts. */
export function termsWhere(ctx: EvalContext, f: FieldIndex, match: TermMatcher): DocSet {
  const s = noDocs(ctx);
  const { terms, postings } = f;
  for (let o = 0; o < terms.length; o++) {
    if (match(terms[o]!)) for (const d of postings[o]!) s.add(d);
  }
  return s;
}

/** Documents with a numeric doc value accepted by `match`. */
function valuesWhere(ctx: EvalContext, f: FieldIndex, match: (v: number) => boolean): DocSet {
  const s = noDocs(ctx);
  f.docValues.forEach((doc, v) => {
    if (match(v)) s.add(doc);
  });
  return s;
}

/** Java's Double.parseDouble, roughly: what Elasticsearch accepts as a number in a query. */
export function parseQueryNumber(value: unknown, field: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?\s*$/.test(value)) {
    return Number(value.trim().replace(/[fFdD]$/, ''));
  }
  throw new FieldQueryError(
    `failed to create query: For input string: "${String(value)}" (field [${field}] is numeric)`,
  );
}

function parseBoolean(value: unknown, field: string): number {
  if (value === true || value === 'true') return 1;
  if (value === false || value === 'false' || value === '') return 0;
  throw new FieldQueryError(
    `Can't parse boolean value [${String(value)}] for field [${field}], expected [true] or [false]`,
  );
}

export interface DateOptions {
  format?: DateContext['formats'] | undefined;
  timeZone?: string | undefined;
}

function dateContext(ctx: EvalContext, f: FieldIndex, o: DateOptions): DateContext {
  return { formats: o.format ?? f.spec.formats ?? [], timeZone: o.timeZone, now: ctx.now };
}

function parseDate(
  ctx: EvalContext,
  f: FieldIndex,
  value: unknown,
  roundUp: boolean,
  o: DateOptions,
): number {
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new FieldQueryError(`failed to parse date field [${String(value)}] for field [${f.spec.name}]`);
  }
  try {
    return parseDateMath(value, roundUp, dateContext(ctx, f, o));
  } catch (err) {
    if (err instanceof DateParseError) throw new FieldQueryError(`${err.message} (field [${f.spec.name}])`);
    throw err;
  }
}

/** Term query: the exact indexed value (no analysis). */
export function termQuery(
  ctx: EvalContext,
  f: FieldIndex,
  value: unknown,
  o: DateOptions & { caseInsensitive?: boolean } = {},
): DocSet {
  switch (f.spec.type) {
    case 'text':
    case 'keyword': {
      if (typeof value === 'object' && value !== null) {
        throw new FieldQueryError(`a term on [${f.spec.name}] must be a string, number or boolean`);
      }
      const term = String(value);
      if (o.caseInsensitive) {
        const lower = term.toLowerCase();
        return termsWhere(ctx, f, (t) => t.toLowerCase() === lower);
      }
      return postingsOf(ctx, f, f.termOrd.get(term));
    }
    case 'boolean': {
      const b = parseBoolean(value, f.spec.name);
      return valuesWhere(ctx, f, (v) => v === b);
    }
    case 'long': {
      const n = parseQueryNumber(value, f.spec.name);
      if (n % 1 !== 0) return noDocs(ctx);
      return valuesWhere(ctx, f, (v) => v === n);
    }
    case 'float': {
      const n = Math.fround(parseQueryNumber(value, f.spec.name));
      return valuesWhere(ctx, f, (v) => v === n);
    }
    case 'double': {
      const n = parseQueryNumber(value, f.spec.name);
      return valuesWhere(ctx, f, (v) => v === n);
    }
    case 'date': {
      const lo = parseDate(ctx, f, value, false, o);
      const hi = parseDate(ctx, f, value, true, o);
      return valuesWhere(ctx, f, (v) => v >= lo && v <= hi);
    }
  }
}

export interface RangeBounds {
  gt?: unknown;
  gte?: unknown;
  lt?: unknown;
  lte?: unknown;
}

/** Range query; string fields compare terms in Lucene's order, dates round partial bounds as Elasticsearch. */
export function rangeQuery(ctx: EvalContext, f: FieldIndex, b: RangeBounds, o: DateOptions = {}): DocSet {
  const lower = b.gt ?? b.gte;
  const upper = b.lt ?? b.lte;
  const includeLower = b.gt === undefined;
  const includeUpper = b.lt === undefined;
  switch (f.spec.type) {
    case 'text':
    case 'keyword': {
      const lo = lower === undefined ? undefined : String(lower);
      const hi = upper === undefined ? undefined : String(upper);
      return termsWhere(ctx, f, (t) => {
        if (lo !== undefined) {
          const c = compareTerms(t, lo);
          if (c < 0 || (c === 0 && !includeLower)) return false;
        }
        if (hi !== undefined) {
          const c = compareTerms(t, hi);
          if (c > 0 || (c === 0 && !includeUpper)) return false;
        }
        return true;
      });
    }
    case 'date': {
      let lo = -Infinity;
      let hi = Infinity;
      if (lower !== undefined) lo = parseDate(ctx, f, lower, !includeLower, o) + (includeLower ? 0 : 1);
      if (upper !== undefined) hi = parseDate(ctx, f, upper, includeUpper, o) - (includeUpper ? 0 : 1);
      return valuesWhere(ctx, f, (v) => v >= lo && v <= hi);
    }
    case 'boolean': {
      const lo = lower === undefined ? -Infinity : parseBoolean(lower, f.spec.name);
      const hi = upper === undefined ? Infinity : parseBoolean(upper, f.spec.name);
      return valuesWhere(
        ctx,
        f,
        (v) => (includeLower ? v >= lo : v > lo) && (includeUpper ? v <= hi : v < hi),
      );
    }
    default: {
      const conv = f.spec.type === 'float' ? Math.fround : (x: number) => x;
      const lo = lower === undefined ? -Infinity : conv(parseQueryNumber(lower, f.spec.name));
      const hi = upper === undefined ? Infinity : conv(parseQueryNumber(upper, f.spec.name));
      return valuesWhere(
        ctx,
        f,
        (v) => (includeLower ? v >= lo : v > lo) && (includeUpper ? v <= hi : v < hi),
      );
    }
  }
}

function requireStringField(f: FieldIndex, what: string): void {
  if (!isStringField(f)) {
    throw new FieldQueryError(
      `Can only use ${what} queries on keyword and text fields - not on [${f.spec.name}] which is of type [${f.spec.type}]`,
    );
  }
}

export function prefixQuery(
  ctx: EvalContext,
  f: FieldIndex,
  prefix: string,
  caseInsensitive = false,
): DocSet {
  requireStringField(f, 'prefix');
  if (caseInsensitive) {
    const p = prefix.toLowerCase();
    return termsWhere(ctx, f, (t) => t.toLowerCase().startsWith(p));
  }
  return termsWhere(ctx, f, (t) => t.startsWith(prefix));
}

export function wildcardQuery(
  ctx: EvalContext,
  f: FieldIndex,
  pattern: string,
  caseInsensitive = false,
): DocSet {
  requireStringField(f, 'wildcard');
  return termsWhere(ctx, f, wildcardMatcher(pattern, caseInsensitive));
}

export function regexpQuery(
  ctx: EvalContext,
  f: FieldIndex,
  pattern: string,
  caseInsensitive = false,
): DocSet {
  requireStringField(f, 'regexp');
  return termsWhere(ctx, f, regexpMatcher(pattern, caseInsensitive));
}

export interface FuzzyParams {
  maxEdits: number;
  prefixLength: number;
  maxExpansions: number;
  transpositions: boolean;
}

export function fuzzyQuery(ctx: EvalContext, f: FieldIndex, term: string, p: FuzzyParams): DocSet {
  requireStringField(f, 'fuzzy');
  if (p.maxEdits === 0) return postingsOf(ctx, f, f.termOrd.get(term));
  const matched = new Set(fuzzyTerms(term, f.terms, p));
  return termsWhere(ctx, f, (t) => matched.has(t));
}

/**
 * Documents where `terms` occur at their relative positions (`offsets`, from the analyzer) within
 * `slop` moves, as Lucene's (sloppy) PhraseQuery. A text field only.
 */
export function phraseQuery(
  ctx: EvalContext,
  f: FieldIndex,
  terms: string[],
  offsets: number[],
  slop: number,
): DocSet {
  const ords = terms.map((t) => f.termOrd.get(t));
  if (ords.some((o) => o === undefined)) return noDocs(ctx);
  // candidates: documents with every term
  let candidates = allDocs(ctx);
  for (const o of new Set(ords)) candidates = candidates.and(postingsOf(ctx, f, o));
  const out = noDocs(ctx);
  const tokens = f.tokens!;
  for (const doc of candidates) {
    const from = tokens.start[doc]!;
    const to = tokens.end[doc]!;
    // per query term: doc positions minus the term's offset in the phrase
    const lists = ords.map((o, i) => {
      const l: number[] = [];
      for (let k = from; k < to; k++) if (tokens.terms[k] === o) l.push(tokens.positions[k]! - offsets[i]!);
      return l;
    });
    if (withinSlop(lists, slop)) out.add(doc);
  }
  return out;
}

/** True when one value can be picked from each list with max - min <= slop (the smallest covering range). */
function withinSlop(lists: number[][], slop: number): boolean {
  const all: { v: number; list: number }[] = [];
  lists.forEach((l, i) => l.forEach((v) => all.push({ v, list: i })));
  all.sort((a, b) => a.v - b.v);
  const need = lists.length;
  const counts = new Array<number>(need).fill(0);
  let covered = 0;
  let left = 0;
  for (let right = 0; right < all.length; right++) {
    if (counts[all[right]!.list]!++ === 0) covered++;
    while (covered === need) {
      if (all[right]!.v - all[left]!.v <= slop) return true;
      if (--counts[all[left]!.list]! === 0) covered--;
      left++;
    }
  }
  return false;
}

/** Field names matching a name or a `*` pattern, in the mapping (sub-fields and _id/_index included). */
export function matchingFieldNames(ctx: EvalContext, pattern: string): string[] {
  if (!pattern.includes('*')) return ctx.ix.fields.has(pattern) ? [pattern] : [];
  const re = fieldPattern(pattern);
  return [...ctx.ix.fields.keys()].filter((n) => re.test(n));
}

/** Exists: the field has a value; on an object path, any field below it does; on a pattern, any match. */
export function existsQuery(ctx: EvalContext, pattern: string): DocSet {
  let names = matchingFieldNames(ctx, pattern);
  if (names.length === 0) names = matchingFieldNames(ctx, `${pattern}.*`);
  const s = noDocs(ctx);
  for (const n of names) s.or(ctx.ix.fields.get(n)!.exists);
  return s;
}
