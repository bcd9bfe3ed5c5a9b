/**
 * The console's Kubernetes view: what happened to one workload, for people who cannot run
 * kubectl. Events come from the eventrouter indices (console.k8s_index); a workload is told from
 * its objects' names as alerts group them (k8s/pod-owner.ts): the pods, ReplicaSets and Jobs of a
 * Deployment, StatefulSet or CronJob, and the workload object itself. The alerts raised for it
 * are those in the writeback whose match is an event about one of its objects.
 */
import type { ConsoleConfig } from '../../config/http-auth.ts';
import type {
  K8sEvent,
  K8sTimelineResponse,
  K8sWorkload,
  K8sWorkloadsResponse,
} from '../../http/console/web/api-types.ts';
import { EVENT_FIELDS, isResyncNoop } from '../../k8s/event-filters.ts';
import { eventOf, eventTime, involvedObjectOf } from '../../k8s/event-view.ts';
import { objectOwner } from '../../k8s/pod-owner.ts';
import { type Doc, lookupField } from '../../model/lookup.ts';
import type { SearchPort } from '../../query/search-port.ts';
import type { HistoryReader } from '../../state/history.ts';
import type { StoredAlert } from '../../state/writeback.ts';
import { toIso } from '../../util/time.ts';

/** Events returned at most (the newest); alerts read at most to find the workload's. */
export const TIMELINE_EVENTS = 2000;
export const TIMELINE_ALERT_SCAN = 2000;

const NAME_FIELD = 'event.involvedObject.name';

interface Bucket {
  key: string;
  doc_count: number;
  [sub: string]: unknown;
}
const buckets = (agg: unknown): Bucket[] => (agg as { buckets?: Bucket[] } | undefined)?.buckets ?? [];

function range(settings: ConsoleConfig, from: number, to: number) {
  return { range: { [settings.k8sTimestampField]: { gte: toIso(from), lte: toIso(to) } } };
}

export async function k8sWorkloads(
  port: SearchPort,
  settings: ConsoleConfig,
  q: { namespace?: string; from: number; to: number },
  signal: AbortSignal,
): Promise<K8sWorkloadsResponse> {
  const sfx = settings.k8sKeywordSuffix;
  const filter: Doc[] = [range(settings, q.from, q.to)];
  if (q.namespace) filter.push({ term: { [`${EVENT_FIELDS.namespace}${sfx}`]: q.namespace } });
  const res = await port.search(
    {
      index: settings.k8sIndex,
      query: { bool: { filter } },
      size: 0,
      aggs: {
        ns: {
          terms: { field: `${EVENT_FIELDS.namespace}${sfx}`, size: 500 },
          aggs: {
            kind: {
              terms: { field: `${EVENT_FIELDS.kind}${sfx}`, size: 50 },
              aggs: {
                name: {
                  terms: { field: `${NAME_FIELD}${sfx}`, size: 5000 },
                  aggs: { warn: { filter: { term: { [`${EVENT_FIELDS.level}${sfx}`]: 'Warning' } } } },
                },
              },
            },
          },
        },
      },
    },
    signal,
  );
  const namespaces = buckets(res.aggregations?.ns).map((ns) => {
    const byOwner = new Map<string, K8sWorkload>();
    for (const kind of buckets(ns.kind))
      for (const name of buckets(kind.name)) {
        const owner = objectOwner(String(kind.key), String(name.key));
        const id = `${owner.kind}/${owner.name}`;
        const w = byOwner.get(id) ?? { kind: owner.kind, name: owner.name, events: 0, warnings: 0 };
        w.events += name.doc_count;
        w.warnings += (name.warn as { doc_count?: number } | undefined)?.doc_count ?? 0;
        byOwner.set(id, w);
      }
    const workloads = [...byOwner.values()].sort(
      (a, b) => b.warnings - a.warnings || a.name.localeCompare(b.name),
    );
    return { name: String(ns.key), events: ns.doc_count, workloads };
  });
  namespaces.sort((a, b) => a.name.localeCompare(b.name));
  return { index: settings.k8sIndex, from: toIso(q.from), to: toIso(q.to), namespaces };
}

/** Whether an eventrouter document is about an object of this workload. */
export function isAboutWorkload(doc: Doc, namespace: string, workload: string): boolean {
  const obj = involvedObjectOf(doc);
  if (!obj?.kind || !obj.name || obj.namespace !== namespace) return false;
  return obj.name === workload || objectOwner(obj.kind, obj.name).name === workload;
}

function toEvent(doc: Doc, tsField: string): K8sEvent {
  const e = eventOf(doc) ?? {};
  const obj = involvedObjectOf(doc) ?? {};
  const source = e.source as { component?: unknown; host?: unknown } | undefined;
  const parts = [source?.component, source?.host].filter(
    (x): x is string => typeof x === 'string' && x !== '',
  );
  const at = eventTime(doc) ?? lookupField(doc, tsField);
  return {
    at: typeof at === 'string' ? at : '',
    type: typeof e.type === 'string' ? e.type : '',
    reason: typeof e.reason === 'string' ? e.reason : '',
    message: typeof e.message === 'string' ? e.message : '',
    kind: obj.kind ?? '',
    name: obj.name ?? '',
    count: typeof e.count === 'number' ? e.count : null,
    source: parts.length ? parts.join(' on ') : null,
  };
}

export async function k8sTimeline(
  port: SearchPort,
  history: HistoryReader,
  settings: ConsoleConfig,
  q: { namespace: string; workload: string; from: number; to: number },
  signal: AbortSignal,
): Promise<
  { events: K8sEvent[]; truncated: boolean; alerts: StoredAlert[] } & Omit<
    K8sTimelineResponse,
    'events' | 'truncated' | 'alerts'
  >
> {
  const sfx = settings.k8sKeywordSuffix;
  const name = `${NAME_FIELD}${sfx}`;
  const res = await port.search(
    {
      index: settings.k8sIndex,
      query: {
        bool: {
          filter: [
            range(settings, q.from, q.to),
            { term: { [`${EVENT_FIELDS.namespace}${sfx}`]: q.namespace } },
            {
              bool: {
                should: [{ term: { [name]: q.workload } }, { prefix: { [name]: `${q.workload}-` } }],
                minimum_should_match: 1,
              },
            },
          ],
        },
      },
      size: TIMELINE_EVENTS,
      sort: [{ [settings.k8sTimestampField]: { order: 'desc' } }],
      trackTotalHits: true,
    },
    signal,
  );
  const events = res.hits
    .map((h) => h._source ?? {})
    .filter((d) => !isResyncNoop(d) && isAboutWorkload(d, q.namespace, q.workload))
    .map((d) => toEvent(d, settings.k8sTimestampField));
  const alerts: StoredAlert[] = [];
  for (let offset = 0; offset < TIMELINE_ALERT_SCAN; offset += 500) {
    const page = await history.alerts(
      { from: toIso(q.from), to: toIso(q.to), timeField: 'match_time', offset, size: 500 },
      signal,
    );
    for (const a of page.alerts)
      if (isAboutWorkload(a.doc.match_body, q.namespace, q.workload)) alerts.push(a);
    if (page.alerts.length < 500) break;
  }
  return {
    namespace: q.namespace,
    workload: q.workload,
    from: toIso(q.from),
    to: toIso(q.to),
    events,
    truncated: (res.total ?? 0) > res.hits.length,
    alerts,
  };
}
