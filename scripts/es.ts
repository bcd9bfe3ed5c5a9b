/**
 * npm run es:up   -> starts the test Elasticsearch (if not running) and prints its URL
 * npm run es:down -> stops it and removes its data
 *
 * ESALERT_ES_MAJOR=9 picks the 9.x node (needs a Java 21+); the default is the newest 8.x.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../test/harness/cache.ts';
import { ensureEs8, ensureEs9, startElasticsearch, stopProcessGroup } from '../test/harness/elasticsearch.ts';

interface UpState {
  pid: number;
  url: string;
  version: string;
  runDir: string;
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

async function up(): Promise<void> {
  const existing = readState();
  if (existing && (await answers(existing.url))) {
    console.log(existing.url);
    return;
  }
  if (existing) await stopProcessGroup(existing.pid, existing.runDir);
  const major = process.env.ESALERT_ES_MAJOR ?? '8';
  const dist = major === '9' ? await ensureEs9() : await ensureEs8(process.env.ESALERT_ES8_VERSION);
  if (!dist) throw new Error('Elasticsearch 9.x needs a Java 21 or later; none found');
  const es = await startElasticsearch(dist);
  const state: UpState = { pid: es.pid, url: es.url, version: es.version, runDir: es.runDir };
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
  console.log(es.url);
}

async function down(): Promise<void> {
  const state = readState();
  if (!state) {
    console.error('no test Elasticsearch is running');
    return;
  }
  await stopProcessGroup(state.pid, state.runDir);
  rmSync(stateFile, { force: true });
  console.error(`stopped Elasticsearch ${state.version} at ${state.url}`);
}

const command = process.argv[2];
if (command === 'up') await up();
else if (command === 'down') await down();
else {
  console.error('usage: node scripts/es.ts up|down');
  process.exitCode = 2;
}
