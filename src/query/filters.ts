/**
 * Rule filters: ElastAlert 2's `filter` list (ES query DSL clauses, ANDed), its legacy
 * `- query: {...}` wrapping, and load-time validation of every query_string with Lucene's
 * grammar, so a syntax error is reported when the rule loads instead of when it runs.
 */
import { parseQueryString, type QueryFactory, QuerySyntaxError } from './lucene-syntax.ts';
import { FieldQueryError } from './field-query-error.ts';
import { regexpMatcher } from './term-matchers.ts';
import type { YamlPath } from '../config/yaml-source.ts';

export type EsQuery = Record<string, unknown>;

/** Unwraps legacy `{query: X}` items (when `query` is set) as ElastAlert 2 does. */
export function normalizeFilters(filters: readonly unknown[]): EsQuery[] {
  return filters.map((f) => {
    const q = (f as { query?: unknown } | null)?.query;
    return (q ? q : f) as EsQuery;
  });
}

export interface QueryStringRef {
  query: string;
  path: YamlPath;
}

/** Every query_string query in a filter tree, with its path (for file:line errors). */
export function findQueryStrings(value: unknown, path: YamlPath = []): QueryStringRef[] {
  const out: QueryStringRef[] = [];
  const walk = (v: unknown, p: YamlPath) => {
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, [...p, i]));
    } else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (
          k === 'query_string' &&
          child &&
          typeof child === 'object' &&
          typeof (child as { query?: unknown }).query === 'string'
        ) {
          out.push({ query: (child as { query: string }).query, path: [...p, k, 'query'] });
        } else {
          walk(child, [...p, k]);
        }
      }
    }
  };
  walk(value, path);
  return out;
}

/** Accepts every clause: the parse itself is the check, plus regular expressions compiled as Lucene would. */
const checkingFactory: QueryFactory<true> = {
  fieldQuery: () => true,
  phraseQuery: () => true,
  prefixQuery: () => true,
  wildcardQuery: () => true,
  regexpQuery: (_field, regexp) => {
    regexpMatcher(regexp);
    return true;
  },
  fuzzyQuery: () => true,
  rangeQuery: () => true,
  booleanQuery: () => true,
};

const OPERATOR = /(?:^|\s)(AND|OR|NOT|&&|\|\||!)\s*\)*\s*$/;

/**
 * Parses a query_string query with Lucene's grammar (what Elasticsearch runs); returns undefined
 * when valid, else what is wrong, with the column and how to fix it.
 */
export function queryStringProblem(query: string): string | undefined {
  const q = JSON.stringify(query);
  try {
    parseQueryString(query, checkingFactory, { defaultField: null, defaultOperator: 'OR' });
    return undefined;
  } catch (err) {
    if (err instanceof FieldQueryError) return `invalid query_string ${q}: ${err.message}`;
    if (!(err instanceof QuerySyntaxError)) throw err;
    const detail = err.message.replace(/^Failed to parse query \[[\s\S]*\]: /, '');
    const leading = /^\s*(AND|OR|&&|\|\|)(\s|$)/.exec(query);
    if (leading)
      return `invalid query_string ${q}: it starts with ${leading[1]}; remove it or put a term before it`;
    if (/at the end/.test(detail)) {
      const trailing = OPERATOR.exec(query);
      if (trailing)
        return `invalid query_string ${q}: it ends with ${trailing[1]}; add the missing term or remove the operator`;
      return `invalid query_string ${q} at column ${query.length + 1}: unexpected end of the query (${HINT})`;
    }
    const at = /Encountered "([\s\S]*?)".* at position (\d+)|^(lexical error: .*) at position (\d+)/.exec(
      detail,
    );
    if (at) {
      const col = Number(at[2] ?? at[4]) + 1;
      if (at[3] && query[col - 1] === '"')
        return `invalid query_string ${q} at column ${col}: the quoted phrase is never closed; add the closing "`;
      const what =
        at[1] === '<EOF>'
          ? 'unexpected end of the query'
          : at[1] !== undefined
            ? `unexpected "${at[1]}"`
            : at[3]!;
      return `invalid query_string ${q} at column ${col}: ${what} (${HINT})`;
    }
    return `invalid query_string ${q}: ${detail} (${HINT})`;
  }
}

const HINT = 'check quotes, parentheses, brackets and that / is escaped as \\/';

/** The bool/filter query ElastAlert 2 sends: the time range (start exclusive, end inclusive) ANDed with the filters. */
export function buildBaseQuery(
  filters: readonly EsQuery[],
  range: { field: string; gt: string | number; lte: string | number } | undefined,
): EsQuery {
  const must: EsQuery[] = [...filters];
  if (range) must.unshift({ range: { [range.field]: { gt: range.gt, lte: range.lte } } });
  return { bool: { filter: { bool: { must } } } };
}
