/**
 * The shapes of Kubernetes events as eventrouter emits them and Logstash indexes them
 * (see the eventrouter format notes in the project's reference material).
 */
import type { Random } from './random.ts';

export interface ObjectRef {
  kind: string;
  name: string;
  namespace?: string;
  uid: string;
  apiVersion: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export interface KubeEvent {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
  };
  involvedObject: ObjectRef;
  reason: string;
  message: string;
  source: { component: string; host?: string };
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
  type: 'Normal' | 'Warning';
  eventTime: null;
  reportingComponent: string;
  reportingInstance: string;
}

export interface EventrouterDoc {
  '@timestamp': string;
  '@version': '1';
  verb: 'ADDED' | 'UPDATED';
  event: KubeEvent;
  old_event?: KubeEvent;
}

export interface CorpusDoc {
  _id: string;
  _source: EventrouterDoc;
}

/** A document and its @timestamp in ms. Scenarios return these; the generator orders and numbers them. */
export interface Emission {
  at: number;
  doc: EventrouterDoc;
}

const POD_SUFFIX = 'bcdfghjklmnpqrstvwxz2456789';

export function replicaSetHash(rng: Random): string {
  return rng.chars(POD_SUFFIX, 10);
}

export function podName(deployment: string, rsHash: string, rng: Random): string {
  return `${deployment}-${rsHash}-${rng.chars(POD_SUFFIX, 5)}`;
}

/** RFC 3339 with second precision, as the Kubernetes API renders event timestamps. */
export function k8sTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Shared cluster-wide counters: resourceVersion is global and monotonic in a real cluster. */
export class ClusterClock {
  private rv = 48_000_000;
  nextResourceVersion(): string {
    this.rv += 1 + (this.rv % 7);
    return String(this.rv);
  }
}

export interface SeriesInit {
  involvedObject: ObjectRef;
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  component: string;
  host?: string;
  /** Namespace of the Event object; cluster-scoped objects' events land in "default". */
  namespace?: string;
}

/**
 * One Kubernetes Event object over its life: created once (ADDED), then updated each time the
 * same thing happens again (UPDATED, count + 1, old_event = previous state), as kubelet and the
 * controllers aggregate repeats.
 */
export class EventSeries {
  private current: KubeEvent | undefined;
  private readonly clock: ClusterClock;
  private readonly rng: Random;
  private readonly init: SeriesInit;
  lastAt = 0;

  constructor(clock: ClusterClock, rng: Random, init: SeriesInit) {
    this.clock = clock;
    this.rng = rng;
    this.init = init;
  }

  get started(): boolean {
    return this.current !== undefined;
  }

  occur(atMs: number, message?: string): Emission {
    const at = Math.round(atMs);
    const prev = this.current;
    const ts = k8sTime(at);
    let ev: KubeEvent;
    if (!prev) {
      const nano = (BigInt(at) * 1_000_000n).toString(16);
      const reporting = this.init.host ?? '';
      ev = {
        metadata: {
          name: `${this.init.involvedObject.name}.${nano}`,
          namespace: this.init.namespace ?? this.init.involvedObject.namespace ?? 'default',
          uid: this.rng.uuid(),
          resourceVersion: this.clock.nextResourceVersion(),
          creationTimestamp: ts,
        },
        involvedObject: this.init.involvedObject,
        reason: this.init.reason,
        message: message ?? this.init.message,
        source: this.init.host
          ? { component: this.init.component, host: this.init.host }
          : { component: this.init.component },
        firstTimestamp: ts,
        lastTimestamp: ts,
        count: 1,
        type: this.init.type,
        eventTime: null,
        reportingComponent: this.init.component,
        reportingInstance: reporting,
      };
    } else {
      ev = {
        ...prev,
        metadata: { ...prev.metadata, resourceVersion: this.clock.nextResourceVersion() },
        message: message ?? prev.message,
        lastTimestamp: ts,
        count: prev.count + 1,
      };
    }
    this.current = ev;
    this.lastAt = at;
    return envelope(at, prev ? 'UPDATED' : 'ADDED', ev, prev, this.rng);
  }

  /** An informer resync: eventrouter re-emits the unchanged object as UPDATED (a no-op). */
  resync(at: number): Emission | undefined {
    if (!this.current) return undefined;
    return envelope(at, 'UPDATED', this.current, this.current, this.rng);
  }
}

function envelope(
  at: number,
  verb: 'ADDED' | 'UPDATED',
  ev: KubeEvent,
  old: KubeEvent | undefined,
  rng: Random,
): Emission {
  // @timestamp is the shipper's time: a little after the event, with milliseconds.
  const shipped = at + rng.int(150, 2500);
  const doc: EventrouterDoc = {
    '@timestamp': new Date(shipped).toISOString(),
    '@version': '1',
    verb,
    event: ev,
  };
  if (verb === 'UPDATED' && old) doc.old_event = old;
  return { at: shipped, doc };
}
