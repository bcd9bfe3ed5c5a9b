/**
 * Vitest global setup for the integration projects: one real server per project (Elasticsearch
 * 7.x, 8.x, 9.x or OpenSearch 2.x, 3.x), loaded with the standard event corpus, stopped and deleted
 * when the run ends, whether tests passed or not (and on Ctrl-C).
 */
import type { TestProject } from 'vitest/node';
import { connectElasticsearch, describeServer } from '../../src/query/es-client.ts';
import { DEFAULT_CORPUS, generateCorpus } from '../corpus/generator.ts';
import { loadCorpus } from '../corpus/load.ts';
import { type ServerId, ensureServer, serverVersionFromEnv, startElasticsearch } from './elasticsearch.ts';
import type { TestEs } from './test-es.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const id = (project.config.provide.server ?? 'es8') as ServerId;
  const dist = await ensureServer(id, serverVersionFromEnv(id));
  if (!dist) throw new Error(`${id}: no suitable Java installed`);
  const es = await startElasticsearch(dist, { heapMb: 512 });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await es.stop();
  };
  const onSignal = (sig: NodeJS.Signals) => {
    void stop().finally(() => process.kill(process.pid, sig));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // generous: a loaded machine can take minutes over one bulk request
    const conn = await connectElasticsearch({ nodes: [es.url], requestTimeoutMs: 300_000 });
    const corpus = generateCorpus(DEFAULT_CORPUS);
    const loaded = await loadCorpus(conn.client, corpus.docs(), { prefix: 'eventrouter-' });
    await conn.close();
    process.stderr.write(
      `[es-harness] integration tests (${project.name}) run against ${describeServer(conn.server)} at ${es.url}; ` +
        `corpus: ${loaded.docs} documents in ${loaded.indices.join(', ')} (${(loaded.ms / 1000).toFixed(1)}s)\n`,
    );
    const info: TestEs = {
      id,
      distribution: dist.product,
      url: es.url,
      version: es.version,
      major: dist.major,
      security: dist.security,
      painless: dist.product === 'opensearch',
      ...(es.credentials ? { credentials: es.credentials } : {}),
      corpus: { options: DEFAULT_CORPUS, manifest: corpus.manifest, indices: loaded.indices },
    };
    project.provide('es', info);
  } catch (err) {
    await stop();
    throw err;
  }
  return async () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stop();
  };
}
