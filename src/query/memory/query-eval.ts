/**
 * The query DSL of rule filters, compiled to Lucene-shaped queries with Elasticsearch's
 * semantics: bool (must, filter, should with minimum_should_match, must_not; an empty bool matches
 * everything, only must_not matches all other documents), term/terms (exact indexed values: a
 * token on text fields, the whole string on keyword fields), range, exists, prefix, wildcard,
 * regexp, fuzzy (not analyzed), match/match_phrase/multi_match (analyzed on text fields),
 * query_string, ids, match_all/match_none, constant_score, dis_max and the script queries esalert
 * writes (memory/scripts.ts). Anything else is an error naming the clause, never a silent
 * "no match".
 */
import { analyze } from './analysis.ts';
import { parseDateFormats } from './dates.ts';
import { DocSet } from './doc-set.ts';
import { badRequest, unsupported } from './errors.ts';
import {
  type DateOptions,
  type EvalContext,
  type RangeBounds,
  existsQuery,
  fieldIndex,
  fuzzyQuery,
  matchingFieldNames,
  noDocs,
  phraseQuery,
  postingsOf,
  prefixQuery,
  rangeQuery,
  regexpQuery,
  termQuery,
  wildcardQuery,
} from './field-queries.ts';
import type { FieldIndex } from './doc-index.ts';
import { compileQueryString, type QueryStringParams } from './lucene-eval.ts';
import {
  type LQuery,
  MATCH_ALL,
  MATCH_NONE,
  type Occur,
  anyOf,
  fixNegative,
  leaf,
  minimumShouldMatch,
} from './lquery.ts';
import { compileScriptQuery } from './scripts.ts';
import { autoFuzziness } from '../term-matchers.ts';
import { FieldQueryError } from '../field-query-error.ts';

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function expectObject(v: unknown, what: string): Obj {
  if (!isObject(v)) throw badRequest(`[${what}] must be an object, got ${JSON.stringify(v)}`);
  return v;
}

function checkKeys(o: Obj, allowed: readonly string[], what: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw badRequest(`[${what}] query does not support [${k}]`);
  }
}

/** `{field: value}` or `{field: {value, ...options}}`: the single field of a leaf query. */
function singleField(body: unknown, clause: string): [string, unknown] {
  const o = expectObject(body, clause);
  const common = ['boost', '_name'];
  const entries = Object.entries(o).filter(([k]) => !common.includes(k));
  if (entries.length !== 1) {
    throw badRequest(
      `[${clause}] query must name exactly one field, got ${entries.map(([k]) => k).join(', ') || 'none'}`,
    );
  }
  return entries[0]!;
}

/** Runs a field query; a type error is a 400 from Elasticsearch, so an error here (unless lenient). */
function fieldLeaf(
  field: string,
  clause: string,
  run: (ctx: EvalContext, f: FieldIndex) => DocSet,
  lenient = false,
): LQuery {
  return leaf((ctx) => {
    const f = fieldIndex(ctx, field);
    if (!f) return noDocs(ctx);
    try {
      return run(ctx, f);
    } catch (err) {
      if (err instanceof FieldQueryError) {
        if (lenient) return noDocs(ctx);
        throw badRequest(`[${clause}] on field [${field}]: ${err.message}`);
      }
      throw err;
    }
  });
}

function asList(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** Compiles one query clause (`{bool: {...}}`, `{term: {...}}`, ...). */
export function compileQuery(query: unknown, path = 'query'): LQuery {
  const o = expectObject(query, path);
  const keys = Object.keys(o);
  if (keys.length !== 1) {
    throw badRequest(
      keys.length === 0
        ? `${path}: an empty query object (expected one clause such as {"term": {...}})`
        : `${path}: one clause per query object, got ${keys.join(', ')} (wrap several in a bool)`,
    );
  }
  const clause = keys[0]!;
  const body = o[clause];
  const at = `${path}.${clause}`;
  switch (clause) {
    case 'match_all':
      checkKeys(expectObject(body, clause), ['boost', '_name'], clause);
      return MATCH_ALL;
    case 'match_none':
      checkKeys(expectObject(body, clause), ['boost', '_name'], clause);
      return MATCH_NONE;
    case 'bool':
      return compileBool(expectObject(body, clause), at);
    case 'constant_score': {
      const b = expectObject(body, clause);
      checkKeys(b, ['filter', 'boost', '_name'], clause);
      return compileQuery(b.filter, `${at}.filter`);
    }
    case 'dis_max': {
      const b = expectObject(body, clause);
      checkKeys(b, ['queries', 'tie_breaker', 'boost', '_name'], clause);
      return anyOf(asList(b.queries).map((q, i) => compileQuery(q, `${at}.queries[${i}]`)));
    }
    case 'boosting': {
      const b = expectObject(body, clause);
      checkKeys(b, ['positive', 'negative', 'negative_boost', 'boost', '_name'], clause);
      return compileQuery(b.positive, `${at}.positive`);
    }
    case 'term':
      return compileTerm(body);
    case 'terms':
      return compileTerms(body);
    case 'ids': {
      const b = expectObject(body, clause);
      checkKeys(b, ['values', 'boost', '_name'], clause);
      const values = asList(b.values).map(String);
      return leaf((ctx) => {
        const s = noDocs(ctx);
        for (const id of values) for (const d of ctx.ix.byId.get(id) ?? []) s.add(d);
        return s;
      });
    }
    case 'range':
      return compileRange(body);
    case 'exists': {
      const b = expectObject(body, clause);
      checkKeys(b, ['field', 'boost', '_name'], clause);
      if (typeof b.field !== 'string') throw badRequest('[exists] must be provided with a [field]');
      const field = b.field;
      return leaf((ctx) => existsQuery(ctx, field));
    }
    case 'prefix':
    case 'wildcard':
    case 'regexp':
      return compileMultiTerm(clause, body);
    case 'fuzzy':
      return compileFuzzy(body);
    case 'match':
      return compileMatch(body, false);
    case 'match_phrase':
      return compileMatch(body, true);
    case 'multi_match':
      return compileMultiMatch(expectObject(body, clause));
    case 'query_string':
      return compileQueryString(expectObject(body, clause) as unknown as QueryStringParams);
    case 'script':
      return compileScriptQuery(body);
    default:
      throw unsupported(`the query clause [${clause}] (at ${at})`);
  }
}

function compileBool(b: Obj, at: string): LQuery {
  checkKeys(
    b,
    [
      'must',
      'filter',
      'should',
      'must_not',
      'minimum_should_match',
      'boost',
      '_name',
      'adjust_pure_negative',
    ],
    'bool',
  );
  const clauses: { occur: Occur; q: LQuery }[] = [];
  for (const occur of ['must', 'filter', 'should', 'must_not'] as const) {
    asList(b[occur]).forEach((q, i) => clauses.push({ occur, q: compileQuery(q, `${at}.${occur}[${i}]`) }));
  }
  if (clauses.length === 0) return MATCH_ALL;
  const should = clauses.filter((c) => c.occur === 'should').length;
  let msm = 0;
  if (b.minimum_should_match !== undefined) {
    try {
      msm = minimumShouldMatch(b.minimum_should_match, should);
    } catch (err) {
      throw badRequest(`[bool] ${(err as Error).message}`);
    }
  }
  const q: LQuery = { t: 'bool', clauses, msm };
  return b.adjust_pure_negative === false ? q : fixNegative(q);
}

function compileTerm(body: unknown): LQuery {
  const [field, spec] = singleField(body, 'term');
  let value = spec;
  let caseInsensitive = false;
  if (isObject(spec)) {
    checkKeys(spec, ['value', 'boost', '_name', 'case_insensitive'], 'term');
    if (!('value' in spec)) throw badRequest(`[term] on [${field}] has no [value]`);
    value = spec.value;
    caseInsensitive = spec.case_insensitive === true;
  }
  if (value === null || value === undefined) throw badRequest(`[term] on [${field}]: value cannot be null`);
  if (field === '_id') return leaf((ctx) => idsSet(ctx, [String(value)]));
  return fieldLeaf(field, 'term', (ctx, f) => termQuery(ctx, f, value, { caseInsensitive }));
}

function idsSet(ctx: EvalContext, ids: string[]): DocSet {
  const s = noDocs(ctx);
  for (const id of ids) for (const d of ctx.ix.byId.get(id) ?? []) s.add(d);
  return s;
}

function compileTerms(body: unknown): LQuery {
  const [field, values] = singleField(body, 'terms');
  if (!Array.isArray(values)) {
    if (isObject(values)) throw unsupported(`[terms] lookup (terms from another document, field [${field}])`);
    throw badRequest(`[terms] on [${field}] must be an array of values`);
  }
  if (field === '_id') return leaf((ctx) => idsSet(ctx, values.map(String)));
  return fieldLeaf(field, 'terms', (ctx, f) => {
    const s = noDocs(ctx);
    for (const v of values) s.or(termQuery(ctx, f, v));
    return s;
  });
}

function compileRange(body: unknown): LQuery {
  const [field, spec] = singleField(body, 'range');
  const r = expectObject(spec, `range.${field}`);
  checkKeys(
    r,
    [
      'gt',
      'gte',
      'lt',
      'lte',
      'from',
      'to',
      'include_lower',
      'include_upper',
      'format',
      'time_zone',
      'boost',
      '_name',
      'relation',
    ],
    'range',
  );
  const bounds: RangeBounds = {};
  const val = (v: unknown) => (v === null ? undefined : v);
  if (r.from !== undefined && r.from !== null) {
    if (r.include_lower === false) bounds.gt = r.from;
    else bounds.gte = r.from;
  }
  if (r.to !== undefined && r.to !== null) {
    if (r.include_upper === false) bounds.lt = r.to;
    else bounds.lte = r.to;
  }
  if (val(r.gt) !== undefined) {
    bounds.gt = r.gt;
    delete bounds.gte;
  }
  if (val(r.gte) !== undefined) {
    bounds.gte = r.gte;
    delete bounds.gt;
  }
  if (val(r.lt) !== undefined) {
    bounds.lt = r.lt;
    delete bounds.lte;
  }
  if (val(r.lte) !== undefined) {
    bounds.lte = r.lte;
    delete bounds.lt;
  }
  const dateOptions: DateOptions = {
    ...(typeof r.format === 'string' ? { format: parseDateFormats(r.format) } : {}),
    ...(typeof r.time_zone === 'string' ? { timeZone: r.time_zone } : {}),
  };
  return fieldLeaf(field, 'range', (ctx, f) => rangeQuery(ctx, f, bounds, dateOptions));
}

function compileMultiTerm(clause: 'prefix' | 'wildcard' | 'regexp', body: unknown): LQuery {
  const [field, spec] = singleField(body, clause);
  let value: unknown = spec;
  let caseInsensitive = false;
  if (isObject(spec)) {
    const allowed = ['value', 'boost', '_name', 'case_insensitive', 'rewrite'];
    if (clause === 'wildcard') allowed.push('wildcard');
    if (clause === 'regexp') allowed.push('flags', 'max_determinized_states', 'flags_value');
    checkKeys(spec, allowed, clause);
    value = spec.value ?? (clause === 'wildcard' ? spec.wildcard : undefined);
    caseInsensitive = spec.case_insensitive === true;
    if (clause === 'regexp' && spec.flags !== undefined && String(spec.flags).toUpperCase() !== 'ALL') {
      throw unsupported(`[regexp] flags "${String(spec.flags)}" (only ALL)`);
    }
  }
  if (typeof value !== 'string') throw badRequest(`[${clause}] on [${field}] needs a string value`);
  const v = value;
  if (clause === 'prefix')
    return fieldLeaf(field, clause, (ctx, f) => prefixQuery(ctx, f, v, caseInsensitive));
  if (clause === 'wildcard')
    return fieldLeaf(field, clause, (ctx, f) => wildcardQuery(ctx, f, v, caseInsensitive));
  return fieldLeaf(field, clause, (ctx, f) => regexpQuery(ctx, f, v, caseInsensitive));
}

function editsOf(fuzziness: unknown, term: string): number {
  if (fuzziness === undefined || /^AUTO$/i.test(String(fuzziness))) return autoFuzziness(term);
  const m = /^AUTO:(\d+),(\d+)$/i.exec(String(fuzziness));
  if (m) {
    const len = [...term].length;
    return len < Number(m[1]) ? 0 : len < Number(m[2]) ? 1 : 2;
  }
  const n = Number(fuzziness);
  if (![0, 1, 2].includes(n))
    throw badRequest(`fuzziness needs to be one of 0.0, 1.0 or 2.0 but was ${String(fuzziness)}`);
  return n;
}

function compileFuzzy(body: unknown): LQuery {
  const [field, spec] = singleField(body, 'fuzzy');
  let value: unknown = spec;
  let o: Obj = {};
  if (isObject(spec)) {
    checkKeys(
      spec,
      [
        'value',
        'fuzziness',
        'prefix_length',
        'max_expansions',
        'transpositions',
        'rewrite',
        'boost',
        '_name',
      ],
      'fuzzy',
    );
    value = spec.value;
    o = spec;
  }
  if (typeof value !== 'string' && typeof value !== 'number')
    throw badRequest(`[fuzzy] on [${field}] needs a value`);
  const term = String(value);
  const params = {
    maxEdits: editsOf(o.fuzziness, term),
    prefixLength: typeof o.prefix_length === 'number' ? o.prefix_length : 0,
    maxExpansions: typeof o.max_expansions === 'number' ? o.max_expansions : 50,
    transpositions: o.transpositions !== false,
  };
  return fieldLeaf(field, 'fuzzy', (ctx, f) => fuzzyQuery(ctx, f, term, params));
}

interface MatchOptions {
  phrase: boolean;
  operator: 'must' | 'should';
  minimumShouldMatch: unknown;
  zeroTerms: 'none' | 'all';
  slop: number;
  lenient: boolean;
}

/** A match or match_phrase on one field: analyzed tokens on text fields, an exact term elsewhere. */
function matchOnField(field: string, text: string, o: MatchOptions): LQuery {
  return leaf((ctx) => {
    const f = fieldIndex(ctx, field);
    if (!f) return noDocs(ctx);
    try {
      if (f.spec.type !== 'text') return termQuery(ctx, f, text);
      const tokens = analyze(text);
      if (tokens.length === 0) return o.zeroTerms === 'all' ? ctx.ix.all.clone() : noDocs(ctx);
      if (o.phrase) {
        if (tokens.length === 1) return postingsOf(ctx, f, f.termOrd.get(tokens[0]!.term));
        return phraseQuery(
          ctx,
          f,
          tokens.map((t) => t.term),
          tokens.map((t) => t.position),
          o.slop,
        );
      }
      const sets = tokens.map((t) => postingsOf(ctx, f, f.termOrd.get(t.term)));
      if (o.operator === 'must') return sets.reduce((a, b) => a.and(b));
      const msm = minimumShouldMatch(o.minimumShouldMatch, sets.length);
      if (msm <= 1) return sets.reduce((a, b) => a.or(b));
      const counts = new Uint16Array(ctx.ix.size);
      for (const s of sets) for (const d of s) counts[d]!++;
      return DocSet.of(
        ctx.ix.size,
        [...counts.keys()].filter((d) => counts[d]! >= msm),
      );
    } catch (err) {
      if (err instanceof FieldQueryError) {
        if (o.lenient) return noDocs(ctx);
        throw badRequest(`[match] on field [${field}]: ${err.message}`);
      }
      throw err;
    }
  });
}

function matchOptions(spec: Obj, phrase: boolean, clause: string): MatchOptions {
  const op = String(spec.operator ?? 'OR').toUpperCase();
  if (op !== 'OR' && op !== 'AND')
    throw badRequest(`[${clause}] unknown operator [${String(spec.operator)}]`);
  const zt = String(spec.zero_terms_query ?? 'none').toLowerCase();
  if (zt !== 'none' && zt !== 'all')
    throw badRequest(`[${clause}] unknown zero_terms_query [${String(spec.zero_terms_query)}]`);
  if (spec.fuzziness !== undefined) throw unsupported(`[${clause}] with fuzziness`);
  if (spec.analyzer !== undefined && spec.analyzer !== 'standard')
    throw unsupported(`[${clause}] with analyzer "${String(spec.analyzer)}"`);
  return {
    phrase,
    operator: op === 'AND' ? 'must' : 'should',
    minimumShouldMatch: spec.minimum_should_match,
    zeroTerms: zt as 'none' | 'all',
    slop: typeof spec.slop === 'number' ? spec.slop : 0,
    lenient: spec.lenient === true,
  };
}

function compileMatch(body: unknown, phrase: boolean): LQuery {
  const clause = phrase ? 'match_phrase' : 'match';
  const [field, spec] = singleField(body, clause);
  let text: unknown = spec;
  let o: Obj = {};
  if (isObject(spec)) {
    checkKeys(
      spec,
      phrase
        ? ['query', 'slop', 'zero_terms_query', 'analyzer', 'boost', '_name']
        : [
            'query',
            'operator',
            'minimum_should_match',
            'zero_terms_query',
            'lenient',
            'analyzer',
            'fuzziness',
            'boost',
            '_name',
            'auto_generate_synonyms_phrase_query',
          ],
      clause,
    );
    text = spec.query;
    o = spec;
  }
  if (typeof text !== 'string' && typeof text !== 'number' && typeof text !== 'boolean') {
    throw badRequest(`[${clause}] on [${field}] needs a query text`);
  }
  return matchOnField(field, String(text), matchOptions(o, phrase, clause));
}

function compileMultiMatch(b: Obj): LQuery {
  checkKeys(
    b,
    [
      'query',
      'fields',
      'type',
      'operator',
      'minimum_should_match',
      'zero_terms_query',
      'lenient',
      'slop',
      'tie_breaker',
      'analyzer',
      'boost',
      '_name',
    ],
    'multi_match',
  );
  const type = String(b.type ?? 'best_fields');
  if (!['best_fields', 'most_fields', 'phrase'].includes(type))
    throw unsupported(`[multi_match] type "${type}"`);
  if (typeof b.query !== 'string' && typeof b.query !== 'number')
    throw badRequest('[multi_match] needs a [query]');
  const text = String(b.query);
  const patterns = (asList(b.fields).length ? asList(b.fields) : ['*']).map((f) =>
    String(f).replace(/\^[\d.]+$/, ''),
  );
  const allFields = patterns.includes('*');
  const o = matchOptions({ ...b, lenient: b.lenient ?? allFields }, type === 'phrase', 'multi_match');
  return leaf((ctx) => {
    const names = new Set<string>();
    for (const p of patterns) {
      for (const n of matchingFieldNames(ctx, p)) if (!p.includes('*') || !n.startsWith('_')) names.add(n);
    }
    const out = noDocs(ctx);
    for (const n of names) {
      const q = matchOnField(n, text, o);
      if (q.t === 'leaf') out.or(q.run(ctx));
    }
    return out;
  });
}
