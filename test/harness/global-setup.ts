/**
 * Vitest global setup for the integration projects: one real Elasticsearch per project (8.x or
 * 9.x), loaded with the standard event corpus, stopped and deleted when the run ends, whether
 * tests passed or not (and on Ctrl-C).
 */
import type { TestProject } from 'vitest/node';
import { connectElasticsearch } from '../../src/query/es-client.ts';
import { DEFAULT_CORPUS, generateCorpus } from '../corpus/generator.ts';
import { loadCorpus } from '../corpus/load.ts';
import { ensureEs8, ensureEs9, startElasticsearch } from './elasticsearch.ts';
import type { TestEs } from './test-es.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const major = Number(project.config.provide.esMajor ?? 8);
  const dist =
    major === 9
      ? await ensureEs9(process.env.ESALERT_ES9_VERSION)
      : await ensureEs8(process.env.ESALERT_ES8_VERSION);
  if (!dist) throw new Error('Elasticsearch 9.x needs Java 21+');
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
    const conn = await connectElasticsearch({ nodes: [es.url], requestTimeoutMs: 60_000 });
    const corpus = generateCorpus(DEFAULT_CORPUS);
    const loaded = await loadCorpus(conn.client, corpus.docs(), { prefix: 'eventrouter-' });
    await conn.close();
    process.stderr.write(
      `[es-harness] integration tests (${project.name}) run against Elasticsearch ${es.version} at ${es.url}; ` +
        `corpus: ${loaded.docs} documents in ${loaded.indices.join(', ')} (${(loaded.ms / 1000).toFixed(1)}s)\n`,
    );
    const info: TestEs = {
      url: es.url,
      version: es.version,
      major: dist.major,
      security: dist.security,
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
