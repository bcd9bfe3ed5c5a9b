/**
 * The shape of ES query DSL clauses in a rule's `filter:`, checked when the rule loads: each list
 * item is one query (`{term: {field: value}}`), whose body is a mapping. A mis-indented
 * `- term:` (its field at the level of `term`) would otherwise pass and fail at Elasticsearch
 * with a parsing_exception and no line number. Clauses inside `bool` are checked the same way.
 * A query name esalert does not know is left to Elasticsearch unless it looks like a misspelling.
 */
import { editDistance } from '../config/fields.ts';
import type { YamlPath } from '../config/yaml-source.ts';

export interface FilterShapeProblem {
  path: YamlPath;
  message: string;
}

/** Query DSL names (Elasticsearch and OpenSearch), for misspelling hints. */
const QUERY_NAMES = [
  'bool',
  'boosting',
  'constant_score',
  'dis_max',
  'function_score',
  'match_all',
  'match_none',
  'match',
  'match_bool_prefix',
  'match_phrase',
  'match_phrase_prefix',
  'multi_match',
  'combined_fields',
  'query_string',
  'simple_query_string',
  'intervals',
  'exists',
  'fuzzy',
  'ids',
  'prefix',
  'range',
  'regexp',
  'term',
  'terms',
  'terms_set',
  'wildcard',
  'nested',
  'has_child',
  'has_parent',
  'parent_id',
  'geo_bounding_box',
  'geo_distance',
  'geo_polygon',
  'geo_shape',
  'shape',
  'more_like_this',
  'percolate',
  'rank_feature',
  'script',
  'script_score',
  'wrapper',
  'pinned',
  'distance_feature',
  'knn',
  'span_term',
  'span_near',
  'span_or',
  'span_not',
  'span_first',
  'span_multi',
  'span_containing',
  'span_within',
  'field_masking_span',
  'query',
];
const BOOL_CLAUSES = ['must', 'filter', 'should', 'must_not'];

const isMapping = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A known name at edit distance at most 2 (a name that is known is no misspelling). */
function misspelling(name: string): string | undefined {
  return QUERY_NAMES.includes(name) ? undefined : QUERY_NAMES.find((q) => editDistance(name, q) <= 2);
}

function checkQuery(q: unknown, path: YamlPath, out: FilterShapeProblem[]): void {
  if (!isMapping(q)) {
    out.push({ path, message: 'must be one query, e.g. term: {field: value}' });
    return;
  }
  const keys = Object.keys(q);
  // ElastAlert 2's legacy wrapping: - query: {query_string: ...}
  if (keys.length === 1 && keys[0] === 'query' && isMapping(q.query))
    return checkQuery(q.query, [...path, 'query'], out);
  if (keys.length !== 1) {
    out.push({
      path,
      message: `must be one query per list item, but holds ${keys.length} keys (${keys.join(', ')}): is a field indented at the level of its query?`,
    });
    return;
  }
  const name = keys[0]!;
  const body = q[name];
  const hint = misspelling(name);
  if (hint) out.push({ path: [...path, name], message: `is not a query; did you mean "${hint}"?` });
  else if (!isMapping(body))
    out.push({
      path: [...path, name],
      message:
        body === null || body === undefined
          ? `has nothing under it: indent its field one level deeper, under ${name}:`
          : `must be a mapping such as ${name}: {field: value}`,
    });
  else if (name === 'bool')
    for (const clause of BOOL_CLAUSES) {
      const v = body[clause];
      if (v === undefined) continue;
      if (Array.isArray(v)) v.forEach((c, i) => checkQuery(c, [...path, name, clause, i], out));
      else checkQuery(v, [...path, name, clause], out);
    }
}

/** Problems with the shape of a rule's `filter:` list (ANDed queries), with the path of each. */
export function filterShapeProblems(filters: unknown, path: YamlPath = ['filter']): FilterShapeProblem[] {
  const out: FilterShapeProblem[] = [];
  if (filters === undefined || filters === null) return out;
  if (!Array.isArray(filters)) {
    out.push({ path, message: 'must be a list of queries (- term: {field: value})' });
    return out;
  }
  filters.forEach((f, i) => checkQuery(f, [...path, i], out));
  return out;
}
