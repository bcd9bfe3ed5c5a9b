import { defineConfig } from 'vitest/config';
import { type ServerId, SERVER_IDS, missingJava, parseServerId } from './test/harness/elasticsearch.ts';

/**
 * One integration project per server: Elasticsearch 7.17, 8.x, 9.x and OpenSearch 2.x, 3.x. Each
 * starts its own node (test/harness/global-setup.ts). ESALERT_ES_VERSIONS picks some, e.g. "8" or
 * "es7,os2"; a server this machine has no Java for is left out, and the harness says so.
 * By default the servers are tested one after another (a test file at a time);
 * ESALERT_SERVERS_IN_PARALLEL=N runs the files of all servers together, N at a time.
 */
const parallel = Number(process.env.ESALERT_SERVERS_IN_PARALLEL ?? 0);
const integration = (id: ServerId, order: number) => ({
  test: {
    name: id,
    include: ['test/integration/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    provide: { server: id },
    testTimeout: 120_000,
    hookTimeout: 180_000,
    sequence: { groupOrder: parallel > 0 ? 1 : order },
  },
});

const wanted = (process.env.ESALERT_ES_VERSIONS ?? SERVER_IDS.join(','))
  .split(',')
  .map((v) => v.trim())
  .filter(Boolean)
  .map((v) => {
    const id = parseServerId(v);
    if (!id) throw new Error(`ESALERT_ES_VERSIONS: unknown server "${v}" (use ${SERVER_IDS.join(', ')})`);
    return id;
  });
const servers = SERVER_IDS.filter((id) => {
  if (!wanted.includes(id)) return false;
  const missing = missingJava(id);
  if (missing) process.stderr.write(`[es-harness] ${missing}; none found: skipping ${id}\n`);
  return !missing;
});

export default defineConfig({
  test: {
    ...(parallel > 0 ? { maxWorkers: parallel } : {}),
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          sequence: { groupOrder: 0 },
          // Limits against a hang, not a speed test: on a loaded machine a test that starts the
          // command line (demo, validate, run --data) takes many seconds.
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      // PyYAML from PyPI (network on the first run only): ElastAlert 2's YAML reader, compared
      {
        test: {
          name: 'pyyaml',
          include: ['test/pyyaml/**/*.test.ts'],
          testTimeout: 120_000,
          sequence: { groupOrder: 0 },
        },
      },
      ...servers.map((id, i) => integration(id, i + 1)),
    ],
  },
});
