/**
 * query_string with Elasticsearch's semantics (QueryStringQueryParser): the default field `*`
 * expands to every searchable field (metadata fields excluded) and makes the query lenient;
 * each term becomes, per field, what that field's type makes of it — analyzed tokens on text
 * fields, the whole value on keyword fields, a parsed number or date otherwise — and the fields
 * are ORed. Quoted text is a phrase; `*`/`?` terms, `/regexp/`, `~` fuzzy, `[a TO b]`, `>5` and
 * `_exists_:field` are multi-term, range and exists queries. Wildcard, prefix, fuzzy and range
 * terms are lowercased on text fields (not on keyword fields); regular expressions are not.
 */
import { EsalertError } from '../../errors/esalert-error.ts';
import { analyze, normalize } from './analysis.ts';
import { unsupported } from './errors.ts';
import type { DocSet } from './doc-set.ts';
import {
  type DateOptions,
  type EvalContext,
  FieldQueryError,
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
import {
  type LQuery,
  MATCH_ALL,
  MATCH_NONE,
  anyOf,
  evaluate,
  fixNegative,
  leaf,
  minimumShouldMatch,
} from './lquery.ts';
import { type QueryFactory, parseQueryString } from '../lucene-syntax.ts';
import { autoFuzziness } from '../term-matchers.ts';

export interface QueryStringParams {
  query: string;
  default_field?: string;
  fields?: string[];
  default_operator?: string;
  lenient?: boolean;
  analyze_wildcard?: boolean;
  allow_leading_wildcard?: boolean;
  phrase_slop?: number;
  minimum_should_match?: string | number;
  time_zone?: string;
  quote_field_suffix?: string;
  fuzziness?: string | number;
  fuzzy_prefix_length?: number;
  fuzzy_max_expansions?: number;
  fuzzy_transpositions?: boolean;
  type?: string;
  tie_breaker?: number;
  boost?: number;
  _name?: string;
  rewrite?: string;
  fuzzy_rewrite?: string;
  max_determinized_states?: number;
  auto_generate_synonyms_phrase_query?: boolean;
  enable_position_increments?: boolean;
}

const SUPPORTED = new Set([
  'query',
  'default_field',
  'fields',
  'default_operator',
  'lenient',
  'analyze_wildcard',
  'allow_leading_wildcard',
  'phrase_slop',
  'minimum_should_match',
  'time_zone',
  'quote_field_suffix',
  'fuzziness',
  'fuzzy_prefix_length',
  'fuzzy_max_expansions',
  'fuzzy_transpositions',
  'type',
  'tie_breaker',
  'boost',
  '_name',
  'rewrite',
  'fuzzy_rewrite',
  'max_determinized_states',
  'auto_generate_synonyms_phrase_query',
  'enable_position_increments',
]);

/** Parameters Elasticsearch knows that this backend cannot honour. */
const NOT_EVALUATED = new Set(['escape', 'analyzer', 'quote_analyzer']);

const isMatchAll = (f: string) => f === '*';
const isPattern = (f: string) => f.includes('*');

/** Runs a per-field query, turning type errors into "no match" when lenient. */
function perField(lenient: boolean, f: FieldIndex, run: () => DocSet, ctx: EvalContext): DocSet {
  try {
    return run();
  } catch (err) {
    if (err instanceof FieldQueryError) {
      if (lenient) return noDocs(ctx);
      throw new EsalertError('QUERY_SYNTAX', `query_string on field [${f.spec.name}]: ${err.message}`);
    }
    throw err;
  }
}

/** Compiles a query_string clause. */
export function compileQueryString(params: QueryStringParams): LQuery {
  for (const key of Object.keys(params)) {
    if (NOT_EVALUATED.has(key)) throw unsupported(`the query_string parameter [${key}]`);
    if (!SUPPORTED.has(key))
      throw new EsalertError('QUERY_SYNTAX', `[query_string] query does not support [${key}]`);
  }
  if (typeof params.query !== 'string')
    throw new EsalertError('QUERY_SYNTAX', '[query_string] must be provided with a [query]');
  if (params.fields && params.default_field) {
    throw new EsalertError(
      'QUERY_SYNTAX',
      'cannot use [fields] parameter in conjunction with [default_field]',
    );
  }
  if (params.type && params.type !== 'best_fields' && params.type !== 'most_fields') {
    throw new EsalertError(
      'QUERY_SYNTAX',
      `[query_string] type "${params.type}" is not supported by the in-memory backend`,
    );
  }
  const op = String(params.default_operator ?? 'OR').toUpperCase();
  if (op !== 'OR' && op !== 'AND')
    throw new EsalertError(
      'QUERY_SYNTAX',
      `[query_string] unknown default_operator [${params.default_operator}]`,
    );
  if (params.query.trim() === '') return MATCH_NONE;
  // field expansion depends on the mapping, so the query is built when evaluated
  return leaf((ctx) => evaluate(ctx, buildQueryString(ctx, params, op)));
}

function buildQueryString(ctx: EvalContext, params: QueryStringParams, op: 'OR' | 'AND'): LQuery {
  const fieldsParam = params.fields?.map((f) => f.replace(/\^[\d.]+$/, ''));
  const defaultField = params.default_field ?? (fieldsParam ? undefined : '*');
  let parserField: string | null;
  let defaultFields: string[];
  let lenient: boolean;
  if (defaultField !== undefined) {
    parserField = defaultField;
    defaultFields = isMatchAll(defaultField)
      ? resolveFields(ctx, '*', false)
      : resolveFields(ctx, defaultField, !isPattern(defaultField));
    lenient = params.lenient ?? isMatchAll(defaultField);
  } else {
    parserField = null;
    const set = new Set<string>();
    for (const f of fieldsParam!) {
      for (const n of resolveFields(ctx, f, !isMatchAll(f))) set.add(n);
    }
    defaultFields = [...set];
    lenient = params.lenient ?? fieldsParam!.some(isMatchAll);
  }
  const dateOptions: DateOptions = { timeZone: params.time_zone };
  const analyzeWildcard = params.analyze_wildcard === true;
  const allowLeadingWildcard = params.allow_leading_wildcard ?? true;
  const phraseSlop = params.phrase_slop ?? 0;
  const fuzzyPrefixLength = params.fuzzy_prefix_length ?? 0;
  const fuzzyMaxExpansions = params.fuzzy_max_expansions ?? 50;
  const fuzzyTranspositions = params.fuzzy_transpositions ?? true;
  const occur = op === 'AND' ? 'must' : 'should';

  /** extractMultiFields: the fields a term in `field` searches. */
  const fieldsFor = (field: string | null, quoted: boolean): string[] => {
    let names: string[];
    if (field !== null) {
      if (isMatchAll(field) && parserField === '*') names = defaultFields;
      else names = resolveFields(ctx, field, !isPattern(field));
    } else names = defaultFields;
    if (quoted && params.quote_field_suffix) {
      names = names.map((n) =>
        ctx.ix.fields.has(n + params.quote_field_suffix) ? n + params.quote_field_suffix : n,
      );
    }
    return names;
  };

  const fieldLeaf = (names: string[], make: (f: FieldIndex) => LQuery | null): LQuery | null => {
    if (names.length === 0) return MATCH_NONE;
    const parts: LQuery[] = [];
    for (const n of names) {
      const f = fieldIndex(ctx, n);
      if (!f) continue;
      const q = make(f);
      if (q) parts.push(q);
    }
    if (parts.length === 0) return null;
    return anyOf(parts);
  };

  const run = (f: FieldIndex, fn: () => DocSet): LQuery => {
    const set = perField(lenient, f, fn, ctx);
    return leaf(() => set.clone());
  };

  /** A match query of `text` on one field (MatchQueryParser BOOLEAN or PHRASE). */
  const matchOnField = (f: FieldIndex, text: string, phrase: boolean, slop: number): LQuery | null => {
    if (f.spec.type !== 'text') return run(f, () => termQuery(ctx, f, text, dateOptions));
    const tokens = analyze(text);
    if (tokens.length === 0) return null;
    if (tokens.length === 1) return run(f, () => postingsOf(ctx, f, f.termOrd.get(tokens[0]!.term)));
    if (phrase) {
      return run(f, () =>
        phraseQuery(
          ctx,
          f,
          tokens.map((t) => t.term),
          tokens.map((t) => t.position),
          slop,
        ),
      );
    }
    return {
      t: 'bool',
      clauses: tokens.map((t) => ({ occur, q: run(f, () => postingsOf(ctx, f, f.termOrd.get(t.term))) })),
      msm: 0,
    };
  };

  const rangeOn = (
    field: string | null,
    lower: string | null,
    upper: string | null,
    includeLower: boolean,
    includeUpper: boolean,
  ): LQuery => {
    if (lower === '*') lower = null;
    if (upper === '*') upper = null;
    const names = fieldsFor(field, false);
    return (
      fieldLeaf(names, (f) =>
        run(f, () => {
          const norm = (s: string | null) =>
            s === null ? undefined : f.spec.type === 'text' ? normalize(s) : s;
          const lo = norm(lower);
          const hi = norm(upper);
          return rangeQuery(
            ctx,
            f,
            {
              ...(lo === undefined ? {} : includeLower ? { gte: lo } : { gt: lo }),
              ...(hi === undefined ? {} : includeUpper ? { lte: hi } : { lt: hi }),
            },
            dateOptions,
          );
        }),
      ) ?? MATCH_NONE
    );
  };

  const exists = (field: string): LQuery => {
    const set = existsQuery(ctx, field);
    return leaf(() => set.clone());
  };

  const factory: QueryFactory<LQuery> = {
    fieldQuery(field, text) {
      if (field === '_exists_') return exists(text);
      if (field !== null && text.length > 1) {
        if (text[0] === '>') {
          if (text.length > 2 && text[1] === '=') return rangeOn(field, text.slice(2), null, true, true);
          return rangeOn(field, text.slice(1), null, false, true);
        }
        if (text[0] === '<') {
          if (text.length > 2 && text[1] === '=') return rangeOn(field, null, text.slice(2), true, true);
          return rangeOn(field, null, text.slice(1), true, false);
        }
        if (params.time_zone && fieldIndex(ctx, field)?.spec.type === 'date') {
          return rangeOn(field, text, text, true, true);
        }
      }
      return fieldLeaf(fieldsFor(field, false), (f) => matchOnField(f, text, false, 0));
    },
    phraseQuery(field, text, slop) {
      if (field === '_exists_') return exists(text);
      const s = slop < 0 ? phraseSlop : slop;
      return fieldLeaf(fieldsFor(field, true), (f) => matchOnField(f, text, true, s));
    },
    prefixQuery(field, text) {
      return fieldLeaf(fieldsFor(field, false), (f) => {
        if (f.spec.type !== 'text') return run(f, () => prefixQuery(ctx, f, text));
        if (!analyzeWildcard) return run(f, () => prefixQuery(ctx, f, normalize(text)));
        const tokens = analyze(text);
        if (tokens.length === 0) return null;
        const parts = tokens.map((t, i) =>
          i === tokens.length - 1
            ? run(f, () => prefixQuery(ctx, f, t.term))
            : run(f, () => postingsOf(ctx, f, f.termOrd.get(t.term))),
        );
        if (parts.length === 1) return parts[0]!;
        return { t: 'bool', clauses: parts.map((q) => ({ occur, q })), msm: 0 };
      });
    },
    wildcardQuery(field, image) {
      const actualField = field ?? parserField;
      if (image === '*' && actualField !== null) {
        if (isMatchAll(actualField)) return MATCH_ALL;
        return exists(actualField);
      }
      if (!allowLeadingWildcard && (image.startsWith('*') || image.startsWith('?'))) {
        throw new EsalertError(
          'QUERY_SYNTAX',
          `'*' or '?' not allowed as first character in WildcardQuery (${image})`,
        );
      }
      return (
        fieldLeaf(fieldsFor(field, false), (f) =>
          image === '*'
            ? exists(f.spec.name)
            : run(f, () => wildcardQuery(ctx, f, f.spec.type === 'text' ? normalizeWildcard(image) : image)),
        ) ?? MATCH_NONE
      );
    },
    regexpQuery(field, regexp) {
      return (
        fieldLeaf(fieldsFor(field, false), (f) => run(f, () => regexpQuery(ctx, f, regexp))) ?? MATCH_NONE
      );
    },
    fuzzyQuery(field, text, slop) {
      const edits = fuzzyEdits(slop, text, params.fuzziness);
      return (
        fieldLeaf(fieldsFor(field, false), (f) =>
          run(f, () =>
            fuzzyQuery(ctx, f, f.spec.type === 'text' ? normalize(text) : text, {
              maxEdits: edits,
              prefixLength: fuzzyPrefixLength,
              maxExpansions: fuzzyMaxExpansions,
              transpositions: fuzzyTranspositions,
            }),
          ),
        ) ?? MATCH_NONE
      );
    },
    rangeQuery(field, lower, upper, includeLower, includeUpper) {
      return rangeOn(field, lower, upper, includeLower, includeUpper);
    },
    booleanQuery(clauses) {
      return fixNegative({ t: 'bool', clauses: clauses.map((c) => ({ occur: c.occur, q: c.q })), msm: 0 });
    },
  };

  const parsed = parseQueryString(params.query, factory, { defaultField: parserField, defaultOperator: op });
  if (parsed === null) return MATCH_NONE;
  let q = fixNegative(parsed);
  if (params.minimum_should_match !== undefined && q.t === 'bool') {
    const optional = q.clauses.filter((c) => c.occur === 'should').length;
    q = { ...q, msm: minimumShouldMatch(params.minimum_should_match, optional) };
  }
  return q;
}

/**
 * resolveMappingField: the mapped fields a name or pattern stands for. (Elasticsearch also drops
 * field types that cannot be searched as text when expanding `*`; every type here can be.)
 */
function resolveFields(ctx: EvalContext, pattern: string, acceptMetadata: boolean): string[] {
  return matchingFieldNames(ctx, pattern).filter((n) => acceptMetadata || !n.startsWith('_'));
}

/** Elasticsearch's normalizeWildcardPattern: lowercase what is between wildcards and escapes. */
export function normalizeWildcard(pattern: string): string {
  let out = '';
  let last = 0;
  const re = /(\\.)|([?*]+)/gsu;
  for (let m = re.exec(pattern); m; m = re.exec(pattern)) {
    if (m.index > last) out += normalize(pattern.slice(last, m.index));
    out += m[0];
    last = m.index + m[0].length;
  }
  if (last < pattern.length) out += normalize(pattern.slice(last));
  return out;
}

/** The edits of `term~slop`: AUTO (the `fuzziness` parameter) for a bare ~, else 0, 1 or 2. */
function fuzzyEdits(slop: string, term: string, fuzziness: string | number | undefined): number {
  const spec = slop === '' ? String(fuzziness ?? 'AUTO') : slop;
  if (/^AUTO(:\d+,\d+)?$/i.test(spec)) {
    const m = /:(\d+),(\d+)$/.exec(spec);
    if (!m) return autoFuzziness(term);
    const len = [...term].length;
    return len < Number(m[1]) ? 0 : len < Number(m[2]) ? 1 : 2;
  }
  const n = Number(spec);
  if (!Number.isFinite(n) || ![0, 1, 2].includes(n)) {
    throw new EsalertError(
      'QUERY_SYNTAX',
      `failed to create query: fuzziness needs to be one of 0.0, 1.0 or 2.0 but was ${spec}`,
    );
  }
  return n;
}
