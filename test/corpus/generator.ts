/**
 * Deterministic generator of eventrouter documents, as they land in Elasticsearch after the
 * eventrouter -> Kafka -> Logstash pipeline. The same options always produce the same documents
 * (ids included), in @timestamp order, streamed so that a million documents never sit in memory.
 */
import { createHash } from 'node:crypto';
import { ClusterClock, type CorpusDoc, type Emission, EventSeries } from './kube.ts';
import { Random } from './random.ts';
import {
  type Manifest,
  ResyncRegistry,
  type Scenario,
  type ScenarioContext,
  crashLoops,
  cronHeartbeat,
  imagePullFailures,
  nodeIncidents,
  podChurn,
  probeFailures,
  schedulingFailures,
} from './scenarios.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

export interface CorpusOptions {
  seed?: string;
  /** ISO start of the simulated period (UTC). */
  start?: string;
  hours?: number;
  /** Approximate number of documents; routine pod churn is scaled to reach it. */
  docs?: number;
  crashLoopPods?: number;
  imagePullFailures?: number;
  heartbeatGapMinutes?: number;
  probeBurstMinutes?: number;
  /** Drop old_event from UPDATED documents, as the Logstash pipeline in the seed article does. */
  dropOldEvent?: boolean;
}

export const DEFAULT_CORPUS = {
  seed: 'esalert',
  start: '2024-05-14T00:00:00Z',
  hours: 24,
  docs: 40_000,
  crashLoopPods: 4,
  imagePullFailures: 2,
  heartbeatGapMinutes: 45,
  probeBurstMinutes: 12,
  dropOldEvent: false,
} satisfies Required<CorpusOptions>;

/** Documents per rollout of an average deployment (see podChurn), used to size the churn. */
const DOCS_PER_ROLLOUT = 18.3;
/** Documents from everything but churn over one hour, roughly (the heartbeat dominates). */
const SCENARIO_DOCS_PER_HOUR = 350;

export interface Corpus {
  manifest: Manifest;
  /** Streams documents in @timestamp order. The manifest is complete once the stream ends. */
  docs(): Generator<CorpusDoc>;
}

/** A binary min-heap of emissions by time; ties keep insertion order so output is deterministic. */
class EmissionHeap {
  private items: { e: Emission; seq: number }[] = [];
  private seq = 0;

  get size() {
    return this.items.length;
  }

  peek(): Emission | undefined {
    return this.items[0]?.e;
  }

  push(e: Emission) {
    const items = this.items;
    items.push({ e, seq: this.seq++ });
    let i = items.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      [items[i], items[p]] = [items[p]!, items[i]!];
      i = p;
    }
  }

  pop(): Emission | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && this.less(l, m)) m = l;
        if (r < items.length && this.less(r, m)) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m]!, items[i]!];
        i = m;
      }
    }
    return top?.e;
  }

  private less(a: number, b: number): boolean {
    const x = this.items[a]!;
    const y = this.items[b]!;
    return x.e.at < y.e.at || (x.e.at === y.e.at && x.seq < y.seq);
  }
}

export function generateCorpus(options: CorpusOptions = {}): Corpus {
  const o = { ...DEFAULT_CORPUS, ...options };
  const start = Date.parse(o.start);
  if (Number.isNaN(start)) throw new Error(`invalid corpus start: ${o.start}`);
  const end = start + o.hours * HOUR;
  const manifest: Manifest = {
    seed: o.seed,
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    crashLoops: [],
    imagePullFailures: [],
    heartbeat: { namespace: '', cronJob: '', intervalSeconds: 0, gap: { from: '', to: '' } },
    probeBurst: { namespace: '', deployment: '', pods: [], from: '', to: '', docs: 0 },
    nodeIncidents: [],
    schedulingFailures: { namespace: '', deployment: '', pods: [], from: '', to: '' },
    resyncNoops: 0,
    docs: 0,
    byReason: {},
  };

  function* docs(): Generator<CorpusDoc> {
    const root = new Random(o.seed);
    const clock = new ClusterClock();
    const resyncs = new ResyncRegistry(start, 30 * MIN, HOUR, manifest);
    const ctxFor = (name: string): ScenarioContext => {
      const rng = root.fork(name);
      return {
        rng,
        clock,
        start,
        end,
        manifest,
        series(init, resync = false) {
          const s = new EventSeries(clock, rng, init);
          if (resync) resyncs.add(s);
          return s;
        },
      };
    };
    const churnDocs = Math.max(0, o.docs - SCENARIO_DOCS_PER_HOUR * o.hours);
    const rolloutsPerHour = Math.max(0.5, churnDocs / o.hours / DOCS_PER_ROLLOUT);
    const scenarios: Scenario[] = [
      podChurn(ctxFor('churn'), rolloutsPerHour),
      crashLoops(ctxFor('crashloop'), o.crashLoopPods),
      imagePullFailures(ctxFor('imagepull'), o.imagePullFailures),
      cronHeartbeat(ctxFor('heartbeat'), o.heartbeatGapMinutes),
      probeFailures(ctxFor('probes'), o.probeBurstMinutes),
      nodeIncidents(ctxFor('nodes')),
      schedulingFailures(ctxFor('scheduling'), 4),
    ];
    const heap = new EmissionHeap();
    const batch: Emission[] = [];
    const window = 5 * MIN;
    let seq = 0;
    const idOf = (n: number) => createHash('sha1').update(`${o.seed}:${n}`).digest('base64url').slice(0, 20);
    for (let from = start; from < end; from += window) {
      const to = Math.min(end, from + window);
      for (const sc of scenarios) sc.emit(from, to, batch);
      resyncs.emit(to, batch);
      for (const e of batch) heap.push(e);
      batch.length = 0;
      // Anything that starts later is stamped at or after `to`, so everything before it is final.
      while (heap.size > 0 && heap.peek()!.at < to) {
        const e = heap.pop()!;
        if (e.at >= end) continue;
        if (o.dropOldEvent) delete e.doc.old_event;
        manifest.docs++;
        manifest.byReason[e.doc.event.reason] = (manifest.byReason[e.doc.event.reason] ?? 0) + 1;
        yield { _id: idOf(seq++), _source: e.doc };
      }
    }
  }

  return { manifest, docs };
}

/** Generates the whole corpus into memory (small corpora: tests, the demo file). */
export function generateAll(options: CorpusOptions = {}): { manifest: Manifest; docs: CorpusDoc[] } {
  const corpus = generateCorpus(options);
  const docs = [...corpus.docs()];
  return { manifest: corpus.manifest, docs };
}
