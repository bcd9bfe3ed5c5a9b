/**
 * Bulk-loads a corpus into daily indices named as the Logstash pipeline in the seed article names
 * them (`eventrouter-%{+YYYY-MM-dd}`), or the dotted `eventrouter-YYYY.MM.DD` variant, with
 * Elasticsearch's dynamic mapping (text + .keyword), as a user's cluster has them.
 */
import type { Client } from '@elastic/elasticsearch';
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
  const meta = new WeakMap<object, { _index: string; _id: string }>();
  const indices = new Set<string>();
  let count = 0;
  async function* sources() {
    for (const d of docs) {
      const _index = dailyIndex(d._source['@timestamp'], prefix, style);
      indices.add(_index);
      meta.set(d._source, { _index, _id: d._id });
      count++;
      if (options.onProgress && count % 50_000 === 0) options.onProgress(count);
      yield d._source;
    }
  }
  const dropped: string[] = [];
  const stats = await client.helpers.bulk({
    datasource: sources(),
    onDocument: (doc: object) => ({ create: meta.get(doc)! }),
    flushBytes: options.flushBytes ?? 5_000_000,
    concurrency: options.concurrency ?? 3,
    retries: 3,
    refreshOnCompletion: false,
    onDrop: (d) => {
      if (dropped.length < 5) dropped.push(JSON.stringify(d.error));
    },
  });
  if (stats.failed > 0)
    throw new Error(`${stats.failed} documents failed to load, e.g. ${dropped.join('; ')}`);
  const names = [...indices].sort();
  if (names.length > 0) {
    await client.indices.putSettings({ index: names.join(','), settings: { refresh_interval: '1s' } });
    await client.indices.refresh({ index: names.join(',') });
  }
  await client.indices.deleteIndexTemplate({ name: templateName });
  return { docs: count, indices: names, ms: performance.now() - started };
}
