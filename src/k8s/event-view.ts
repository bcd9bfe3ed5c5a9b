/**
 * What alert texts may want from an eventrouter document beyond its own fields: when the event
 * happened, the workload the object belongs to, and whether it is cluster-scoped. Rules opt in
 * with `k8s_fields: true`; the values then read as `k8s.<name>` in alert_text_args,
 * alert_subject_args, alert_text_kw and Jinja templates. The match itself is not changed, so
 * the default alert body (every match field) stays as ElastAlert 2 writes it.
 */
import type { Doc } from '../model/lookup.ts';
import { objectOwner } from './pod-owner.ts';

/** How `k8s.namespace` shows objects that have none. */
export const NO_NAMESPACE = '(cluster)';

export interface InvolvedObject {
  kind?: string;
  name?: string;
  namespace?: string;
}

export interface K8sFields {
  /** event.lastTimestamp, else event.eventTime, else event.metadata.creationTimestamp. */
  event_time: string | undefined;
  /** The object's namespace, or "(cluster)" (undefined when the document names no object). */
  namespace: string | undefined;
  cluster_scoped: boolean | undefined;
  kind: string | undefined;
  name: string | undefined;
  /** The workload the object belongs to (see pod-owner.ts); the object itself when it has none. */
  owner_kind: string | undefined;
  owner_name: string | undefined;
}

const isObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The `event` object of an eventrouter document (undefined for anything else). */
export function eventOf(doc: Doc): Doc | undefined {
  return isObject(doc.event) ? doc.event : undefined;
}

export function involvedObjectOf(doc: Doc): InvolvedObject | undefined {
  const obj = eventOf(doc)?.involvedObject;
  if (!isObject(obj)) return undefined;
  const out: InvolvedObject = {};
  const kind = text(obj.kind);
  const name = text(obj.name);
  const namespace = text(obj.namespace);
  if (kind) out.kind = kind;
  if (name) out.name = name;
  if (namespace) out.namespace = namespace;
  return out;
}

/** When the event last happened: events.k8s.io-origin events have no lastTimestamp, only eventTime. */
export function eventTime(doc: Doc): string | undefined {
  const event = eventOf(doc);
  if (!event) return undefined;
  const metadata = isObject(event.metadata) ? event.metadata : {};
  return text(event.lastTimestamp) ?? text(event.eventTime) ?? text(metadata.creationTimestamp);
}

export function k8sFields(doc: Doc): K8sFields {
  const obj = involvedObjectOf(doc);
  const owner = obj?.kind && obj.name ? objectOwner(obj.kind, obj.name) : undefined;
  return {
    event_time: eventTime(doc),
    namespace: obj ? (obj.namespace ?? NO_NAMESPACE) : undefined,
    cluster_scoped: obj ? obj.namespace === undefined : undefined,
    kind: obj?.kind,
    name: obj?.name,
    owner_kind: owner?.kind,
    owner_name: owner?.name,
  };
}
