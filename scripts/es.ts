/**
 * npm run es:up   -> starts a test server (if that one is not running) and prints its URL
 * npm run es:down -> stops it and removes its data
 *
 *   npm run es:up                                        # Elasticsearch, newest 8.x
 *   npm run es:up -- --dist opensearch --version 2.19.6  # OpenSearch 2.19.6 (Java 17-23)
 *   npm run es:up -- --dist elasticsearch --version 7.17 # the newest 7.17.x
 *   npm run es:up -- --server os3                        # newest OpenSearch 3.x (Java 21+)
 *
 * --version is a release ("2.19.6") or a major or major.minor line ("9", "7.17"); ESALERT_ES_MAJOR=9
 * still picks the 9.x node. One server at a time: es:up with another one stops the running one.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cacheDir, mavenVersions, newestRelease } from '../test/harness/cache.ts';
import {
  type ServerId,
  parseServerId,
  serverName,
  startServer,
  stopProcessGroup,
} from '../test/harness/elasticsearch.ts';

interface UpState {
  pid: number;
  url: string;
  version: string;
  runDir: string;
  server?: ServerId;
  product?: 'elasticsearch' | 'opensearch';
}

const stateFile = join(cacheDir(), 'es-up.json');

function readState(): UpState | undefined {
  if (!existsSync(stateFile)) return undefined;
  return JSON.parse(readFileSync(stateFile, 'utf8')) as UpState;
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(3000) })).ok;
  } catch {
    return false;
  }
}

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dist: { type: 'string' },
    version: { type: 'string' },
    server: { type: 'string' },
  },
});

/** The server and exact version the flags name (a line like "7.17" resolves to its newest release). */
async function wanted(): Promise<{ id: ServerId; version: string | undefined }> {
  const dist = (args.dist ?? 'elasticsearch').toLowerCase();
  const os = dist.startsWith('o');
  const line = args.version ?? process.env.ESALERT_ES_MAJOR;
  const spec = args.server ?? `${os ? 'os' : 'es'}${line ? line.split('.')[0] : os ? '2' : '8'}`;
  const id = parseServerId(spec);
  if (!id) throw new Error(`no test server for --dist ${dist} --version ${line ?? ''} (--server ${spec})`);
  if (!line || /^\d+\.\d+\.\d+/.test(line)) return { id, version: line?.includes('.') ? line : undefined };
  // a line: its newest release on Maven Central
  const [group, artifact] = os
    ? ['org.opensearch', 'opensearch']
    : id === 'es9'
      ? ['org.elasticsearch', 'elasticsearch']
      : ['org.elasticsearch.distribution.integ-test-zip', 'elasticsearch'];
  const versions = (await mavenVersions(group, artifact)).filter(
    (v) => v === line || v.startsWith(`${line}.`),
  );
  return { id, version: newestRelease(versions, Number(line.split('.')[0])) };
}

async function up(): Promise<void> {
  const { id, version } = await wanted();
  const existing = readState();
  if (existing && (await answers(existing.url))) {
    const same = (existing.server ?? 'es8') === id && (!version || existing.version === version);
    if (same) {
      console.log(existing.url);
      return;
    }
    console.error(`stopping ${serverName(existing.product ?? 'elasticsearch', existing.version)} first`);
  }
  if (existing) await stopProcessGroup(existing.pid, existing.runDir);
  const es = await startServer(id, version);
  const state: UpState = {
    pid: es.pid,
    url: es.url,
    version: es.version,
    runDir: es.runDir,
    server: id,
    product: es.product,
  };
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
  console.log(es.url);
}

async function down(): Promise<void> {
  const state = readState();
  if (!state) {
    console.error('no test server is running');
    return;
  }
  await stopProcessGroup(state.pid, state.runDir);
  rmSync(stateFile, { force: true });
  console.error(`stopped ${serverName(state.product ?? 'elasticsearch', state.version)} at ${state.url}`);
}

const command = positionals[0];
if (command === 'up') await up();
else if (command === 'down') await down();
else {
  console.error(
    'usage: node scripts/es.ts up|down [--dist elasticsearch|opensearch] [--version V] [--server es7|es8|es9|os2|os3]',
  );
  process.exitCode = 2;
}
