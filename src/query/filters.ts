/**
 * Rule filters: ElastAlert 2's `filter` list (ES query DSL clauses, ANDed), its legacy
 * `- query: {...}` wrapping, and load-time validation of every query_string with the `lucene`
 * parser, so a syntax error is reported when the rule loads instead of when it runs.
 */
import lucene from 'lucene';
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

type Loc = { start: { offset: number }; end: { offset: number } };

function maxEndOffset(node: unknown): number {
  let max = -1;
  const visit = (n: unknown) => {
    if (!n || typeof n !== 'object') return;
    for (const [k, v] of Object.entries(n)) {
      if (k.endsWith('Location') && v && typeof v === 'object' && 'end' in v)
        max = Math.max(max, (v as Loc).end.offset);
      else if (typeof v === 'object') visit(v);
    }
  };
  visit(node);
  return max;
}

/**
 * Parses a query_string query; returns undefined when valid, else what is wrong (with the column).
 * The lucene parser tolerates a dangling boolean operator that Elasticsearch rejects; that is
 * checked here as well.
 */
export function queryStringProblem(query: string): string | undefined {
  let ast: lucene.AST;
  try {
    ast = lucene.parse(query);
  } catch (err) {
    const e = err as { message: string; location?: { start: { column: number } }; found?: string | null };
    const col = e.location?.start.column;
    const found = e.found === null || e.found === undefined ? 'end of the query' : `"${e.found}"`;
    return `invalid query_string ${JSON.stringify(query)}${col ? ` at column ${col}` : ''}: unexpected ${found} (check quotes, parentheses, brackets and that / is escaped as \\/)`;
  }
  const start = (ast as { start?: string }).start;
  if (start === 'AND' || start === 'OR' || start === '&&' || start === '||') {
    return `invalid query_string ${JSON.stringify(query)}: it starts with ${start}; remove it or put a term before it`;
  }
  const rest = query
    .slice(Math.max(0, maxEndOffset(ast)))
    .replace(/[)\s]/g, ' ')
    .trim();
  const dangling = /^(AND|OR|NOT|&&|\|\||!)(\s|$)/.exec(rest);
  if (rest && dangling) {
    return `invalid query_string ${JSON.stringify(query)}: it ends with ${dangling[1]}; add the missing term or remove the operator`;
  }
  return undefined;
}

/** The bool/filter query ElastAlert 2 sends: the time range (start exclusive, end inclusive) ANDed with the filters. */
export function buildBaseQuery(
  filters: readonly EsQuery[],
  range: { field: string; gt: string | number; lte: string | number } | undefined,
): EsQuery {
  const must: EsQuery[] = [...filters];
  if (range) must.unshift({ range: { [range.field]: { gt: range.gt, lte: range.lte } } });
  return { bool: { filter: { bool: { must } } } };
}
