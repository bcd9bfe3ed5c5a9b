/**
 * Bulk-loads a corpus into daily indices named as the Logstash pipeline in the seed article names
 * them (`eventrouter-%{+YYYY-MM-dd}`), or the dotted `eventrouter-YYYY.MM.DD` variant, with
 * Elasticsearch's dynamic mapping (text + .keyword), as a user's cluster has them.
 */
import { type EsClient as Client, errors } from '../../src/query/es-client.ts';
import type { CorpusDoc } from './kube.ts';

export type IndexStyle = 'dashed' | 'dotted';

export interface LoadOptions {
  prefix?: string;
  style?: IndexStyle;
  /** Bytes per bulk request. */
  flushBytes?: number;
  concurrency?: number;
  onProgress?: (loaded: number) => void;
}

export interface LoadResult {
  docs: number;
  indices: string[];
  ms: number;
}

export function dailyIndex(timestamp: string, prefix = 'eventrouter-', style: IndexStyle = 'dashed'): string {
  const day = timestamp.slice(0, 10);
  return prefix + (style === 'dotted' ? day.replaceAll('-', '.') : day);
}

export async function loadCorpus(
  client: Client,
  docs: Iterable<CorpusDoc>,
  options: LoadOptions = {},
): Promise<LoadResult> {
  const prefix = options.prefix ?? 'eventrouter-';
  const style = options.style ?? 'dashed';
  const started = performance.now();
  const templateName = `esalert-corpus-${prefix.replace(/[^a-z0-9-]/g, '')}`;
  // Settings only (no mappings: dynamic mapping is the point). One shard, no replica, no refresh while loading.
  await client.indices.putIndexTemplate({
    name: templateName,
    index_patterns: [`${prefix}*`],
    priority: 1,
    template: { settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: '-1' } },
  });
  const indices = new Set<string>();
  let count = 0;
  let failed = 0;
  const dropped: string[] = [];
  const flushBytes = options.flushBytes ?? 5_000_000;
  const concurrency = options.concurrency ?? 3;
  const inFlight = new Set<Promise<void>>();
  /**
   * One bulk request; documents refused with 429, and the whole request when it timed out, are sent
   * again, up to 3 times (each is a `create` with its _id: one that made it the first time answers
   * 409 and counts as loaded).
   */
  const send = async (ops: unknown[]) => {
    for (let attempt = 0; ops.length > 0; attempt++) {
      const res = await client.bulk({ operations: ops, refresh: false }).catch((err: unknown) => {
        if (attempt < 3 && err instanceof errors.ConnectionError) return undefined;
        throw err;
      });
      if (!res) continue;
      const again: unknown[] = [];
      res.items.forEach((item, i) => {
        const r = Object.values(item)[0]!;
        if (r.status < 300 || (r.status === 409 && attempt > 0)) return;
        if (r.status === 429 && attempt < 3) again.push(ops[2 * i], ops[2 * i + 1]);
        else {
          failed++;
          if (dropped.length < 5) dropped.push(JSON.stringify(r.error));
        }
      });
      ops = again;
      if (ops.length) await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
    }
  };
  const flush = async (ops: unknown[]) => {
    const p = send(ops).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  };
  let batch: unknown[] = [];
  let bytes = 0;
  for (const d of docs) {
    const _index = dailyIndex(d._source['@timestamp'], prefix, style);
    indices.add(_index);
    batch.push({ create: { _index, _id: d._id } }, d._source);
    bytes += JSON.stringify(d._source).length + 80;
    count++;
    if (options.onProgress && count % 50_000 === 0) options.onProgress(count);
    if (bytes >= flushBytes) {
      await flush(batch);
      batch = [];
      bytes = 0;
    }
  }
  if (batch.length) await flush(batch);
  await Promise.all(inFlight);
  if (failed > 0) throw new Error(`${failed} documents failed to load, e.g. ${dropped.join('; ')}`);
  const names = [...indices].sort();
  if (names.length > 0) {
    await client.indices.putSettings({ index: names.join(','), settings: { refresh_interval: '1s' } });
    await client.indices.refresh({ index: names.join(',') });
  }
  await client.indices.deleteIndexTemplate({ name: templateName });
  return { docs: count, indices: names, ms: performance.now() - started };
}
