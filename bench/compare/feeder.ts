/**
 * Feeds Elasticsearch with Kubernetes events in real time: the corpus generator's scenarios
 * (rollouts, crash loops, image pull failures, the heartbeat CronJob, probe failures, node
 * incidents, scheduling failures) over a period that starts `historyMs` ago, the part before now
 * bulk-loaded at once, the rest indexed as its @timestamp comes due (every `tickMs`).
 *
 *   node bench/compare/feeder.ts --es http://127.0.0.1:9200 [--rate 200] [--minutes 10] [--history-minutes 15]
 */
import { parseArgs } from 'node:util';
import { type EsClient as Client, connectElasticsearch } from '../../src/query/es-client.ts';
import { type CorpusOptions, generateCorpus } from '../../test/corpus/generator.ts';
import type { CorpusDoc } from '../../test/corpus/kube.ts';
import { dailyIndex, loadCorpus } from '../../test/corpus/load.ts';

export interface FeederOptions {
  /** Documents per second, on average (routine rollouts are scaled to reach it). */
  rate: number;
  /** How long to keep feeding, from now. */
  durationMs: number;
  /** Events from this long before now are loaded at once before the real-time part starts. */
  historyMs: number;
  seed?: string;
  tickMs?: number;
}

export interface FeederStats {
  preloaded: number;
  fed: number;
  /** Documents Elasticsearch refused. */
  failed: number;
  /** Bulk requests that came back later than one tick after their documents were due, at most. */
  maxBehindMs: number;
}

export interface Feeder {
  stats(): FeederStats;
  /** Stops feeding (the real-time part ends by itself after durationMs). */
  stop(): Promise<FeederStats>;
}

const MIN = 60_000;

/** The scenarios squeezed into a short period: a 5-minute heartbeat gap and a 3-minute probe burst. */
export function feederCorpus(o: FeederOptions, now: number) {
  const spanMs = o.historyMs + o.durationMs;
  const options: CorpusOptions = {
    seed: o.seed ?? 'esalert-steady',
    start: new Date(now - o.historyMs).toISOString(),
    hours: spanMs / (60 * MIN),
    docs: Math.round((o.rate * spanMs) / 1000),
    heartbeatGapMinutes: 5,
    probeBurstMinutes: 3,
  };
  return generateCorpus(options);
}

export async function startFeeder(client: Client, o: FeederOptions): Promise<Feeder> {
  const now = Date.now();
  const docs = feederCorpus(o, now).docs();
  const tickMs = o.tickMs ?? 500;
  let next: CorpusDoc | undefined = docs.next().value ?? undefined;
  const stats: FeederStats = { preloaded: 0, fed: 0, failed: 0, maxBehindMs: 0 };
  const due = function* (until: number): Generator<CorpusDoc> {
    while (next && Date.parse(next._source['@timestamp']) <= until) {
      yield next;
      next = docs.next().value ?? undefined;
    }
  };
  const loaded = await loadCorpus(client, due(Date.now()));
  stats.preloaded = loaded.docs;

  let stopped = false;
  const endAt = now + o.durationMs;
  const loop = (async () => {
    while (!stopped && next && Date.now() < endAt) {
      await new Promise((r) => setTimeout(r, tickMs));
      const tick = Date.now();
      const batch = [...due(tick)];
      if (batch.length === 0) continue;
      const operations = batch.flatMap((d) => [
        { create: { _index: dailyIndex(d._source['@timestamp']), _id: d._id } },
        d._source,
      ]);
      const r = await client.bulk({ operations, refresh: false });
      if (r.errors) stats.failed += r.items.filter((i) => i.create?.error).length;
      stats.fed += batch.length;
      const oldest = Date.parse(batch[0]!._source['@timestamp']);
      stats.maxBehindMs = Math.max(stats.maxBehindMs, Date.now() - oldest - tickMs);
    }
  })();
  return {
    stats: () => ({ ...stats }),
    stop: async () => {
      stopped = true;
      await loop;
      return { ...stats };
    },
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      es: { type: 'string' },
      rate: { type: 'string', default: '200' },
      minutes: { type: 'string', default: '10' },
      'history-minutes': { type: 'string', default: '15' },
    },
  });
  if (!values.es) {
    console.error(
      'usage: node bench/compare/feeder.ts --es <url> [--rate 200] [--minutes 10] [--history-minutes 15]',
    );
    process.exit(2);
  }
  const conn = await connectElasticsearch({ nodes: [values.es], requestTimeoutMs: 120_000 });
  const feeder = await startFeeder(conn.client, {
    rate: Number(values.rate),
    durationMs: Number(values.minutes) * MIN,
    historyMs: Number(values['history-minutes']) * MIN,
  });
  process.stderr.write(`[feeder] preloaded ${feeder.stats().preloaded} documents; feeding in real time\n`);
  const stop = async () => {
    console.log(JSON.stringify(await feeder.stop()));
    await conn.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  setTimeout(() => void stop(), Number(values.minutes) * MIN);
}
