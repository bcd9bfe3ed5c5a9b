/**
 * The k8s_* filter options as Elasticsearch query clauses, ANDed with the rule's `filter` list,
 * so they run in Elasticsearch in every query mode (hits, use_count_query, use_terms_query,
 * aggregations) and in the in-memory backend alike.
 *
 * kube-eventer's semantics, with excludes added: within one option any entry may match (OR),
 * across options all must (AND). Values are compared exactly on the keyword sub-fields
 * (event.type, event.involvedObject.namespace and .kind), reasons as Lucene regular expressions
 * on event.reason that must match the whole reason. Cluster-scoped objects (Nodes,
 * PersistentVolumes, Namespaces...) have no involvedObject.namespace: a namespace include list
 * keeps them only when it lists `_cluster`, an exclude list drops them only when it does.
 *
 * k8s_skip_resync (resync no-ops) is the exception: see isResyncNoop.
 */
import type { EsQuery } from '../query/filters.ts';
import { sameValueQuery } from '../query/same-value-query.ts';
import { type Doc, lookupField } from '../model/lookup.ts';
import { CLUSTER_SCOPED, type K8sFilterOptions } from './k8s-options.ts';

/** eventrouter's document fields the filters read (the keyword sub-field is added). */
export const EVENT_FIELDS = {
  level: 'event.type',
  namespace: 'event.involvedObject.namespace',
  kind: 'event.involvedObject.kind',
  reason: 'event.reason',
  verb: 'verb',
  resourceVersion: 'event.metadata.resourceVersion',
  oldResourceVersion: 'old_event.metadata.resourceVersion',
} as const;

const anyOf = (clauses: EsQuery[]): EsQuery =>
  clauses.length === 1 ? clauses[0]! : { bool: { should: clauses, minimum_should_match: 1 } };
const noneOf = (clauses: EsQuery[]): EsQuery => ({ bool: { must_not: clauses } });

/** Objects without a namespace: the field is missing, or (some shippers) an empty string. */
function clusterScoped(field: string): EsQuery {
  return anyOf([{ bool: { must_not: [{ exists: { field } }] } }, { term: { [field]: '' } }]);
}

/** One clause per value set: `terms` for the names, plus cluster-scoped objects when `_cluster` is listed. */
function namespaceClauses(field: string, entries: string[]): EsQuery[] {
  const names = entries.filter((n) => n !== CLUSTER_SCOPED);
  const clauses: EsQuery[] = names.length > 0 ? [{ terms: { [field]: names } }] : [];
  if (entries.includes(CLUSTER_SCOPED)) clauses.push(clusterScoped(field));
  return clauses;
}

const regexps = (field: string, patterns: string[]): EsQuery[] =>
  patterns.map((p) => ({ regexp: { [field]: { value: p } } }));

/**
 * eventrouter re-emits every live event unchanged at each informer resync, as an UPDATED
 * document whose old_event is the event itself: same resourceVersion (any real change to an
 * Event gets a new one). Telling them apart compares two fields of one document, which
 * Elasticsearch does only in a script: rules that read hits drop them as they are read
 * (isResyncNoop); rules that count in Elasticsearch (use_count_query, use_terms_query,
 * aggregation rule types) get this painless script clause.
 */
export function isResyncNoop(doc: Doc): boolean {
  if (lookupField(doc, EVENT_FIELDS.verb) !== 'UPDATED') return false;
  const now = lookupField(doc, EVENT_FIELDS.resourceVersion);
  const before = lookupField(doc, EVENT_FIELDS.oldResourceVersion);
  const single = (v: unknown) => typeof v === 'string' || typeof v === 'number';
  return single(now) && single(before) && String(now) === String(before);
}

/** The fields isResyncNoop reads. */
export const RESYNC_FIELDS: readonly string[] = [
  EVENT_FIELDS.verb,
  EVENT_FIELDS.resourceVersion,
  EVENT_FIELDS.oldResourceVersion,
];

/** The clause that drops resync no-ops in Elasticsearch (a painless script; see isResyncNoop). */
export function resyncNoopExclusion(suffix: string): EsQuery {
  const f = EVENT_FIELDS;
  return noneOf([
    {
      bool: {
        filter: [
          { term: { [`${f.verb}${suffix}`]: 'UPDATED' } },
          sameValueQuery(`${f.resourceVersion}${suffix}`, `${f.oldResourceVersion}${suffix}`),
        ],
      },
    },
  ]);
}

/** The clauses for the k8s_* filter options set on a rule (none when it sets none); k8s_skip_resync is apart. */
export function k8sEventFilters(o: K8sFilterOptions): EsQuery[] {
  const sfx = o.k8s_keyword_suffix;
  const level = `${EVENT_FIELDS.level}${sfx}`;
  const ns = `${EVENT_FIELDS.namespace}${sfx}`;
  const kind = `${EVENT_FIELDS.kind}${sfx}`;
  const reason = `${EVENT_FIELDS.reason}${sfx}`;
  const out: EsQuery[] = [];
  if (o.k8s_levels) out.push({ terms: { [level]: o.k8s_levels } });
  if (o.k8s_exclude_levels) out.push(noneOf([{ terms: { [level]: o.k8s_exclude_levels } }]));
  if (o.k8s_namespaces) out.push(anyOf(namespaceClauses(ns, o.k8s_namespaces)));
  if (o.k8s_exclude_namespaces) out.push(noneOf(namespaceClauses(ns, o.k8s_exclude_namespaces)));
  if (o.k8s_kinds) out.push({ terms: { [kind]: o.k8s_kinds } });
  if (o.k8s_exclude_kinds) out.push(noneOf([{ terms: { [kind]: o.k8s_exclude_kinds } }]));
  if (o.k8s_reasons) out.push(anyOf(regexps(reason, o.k8s_reasons)));
  if (o.k8s_exclude_reasons) out.push(noneOf(regexps(reason, o.k8s_exclude_reasons)));
  return out;
}
