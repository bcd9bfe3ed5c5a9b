/**
 * A real, single-node Elasticsearch for tests, benchmarks and `npm run es:up`.
 *
 * The distribution comes from Maven Central and is cached outside the repository (see cache.ts).
 * Each start gets a fresh temporary directory for config, data, logs and tmp, runs as an unprivileged
 * user when we are root (Elasticsearch refuses to run as root), binds 127.0.0.1 on free ports, and
 * is torn down completely by stop().
 *
 * On 8.x, security is enabled (so basic auth and bad credentials behave as in production: a
 * file-realm superuser is created per run) with anonymous access mapped to the superuser role, so
 * requests without credentials work too. The assembled 9.x node has no security module.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir, download, mavenUrl, mavenVersions, newestRelease } from './cache.ts';
import { type JavaInstall, pickJava } from './java.ts';
import { assembleEs9 } from './es9-assembly.ts';
import { assembleOpenSearch } from './opensearch-assembly.ts';
import { compileRootInfoModule } from './java-build.ts';

export type Product = 'elasticsearch' | 'opensearch';

/** The servers the harness can start: Elasticsearch 7.17, 8.x, 9.x and OpenSearch 2.x, 3.x. */
export const SERVER_IDS = ['es7', 'es8', 'es9', 'os2', 'os3'] as const;
export type ServerId = (typeof SERVER_IDS)[number];

export interface EsDistribution {
  product: Product;
  version: string;
  major: number;
  home: string;
  java: JavaInstall;
  /** 'zip': an integ-test-zip with its own launcher; 'assembled': built from Maven jars. */
  kind: 'zip' | 'assembled';
  /** Whether the x-pack security module is present (basic auth, API keys). */
  security: boolean;
}

export interface RunningEs {
  product: Product;
  url: string;
  version: string;
  pid: number;
  runDir: string;
  /** A file-realm superuser (security-enabled distributions only). */
  credentials?: { username: string; password: string };
  stop(): Promise<void>;
}

export interface HarnessLog {
  (msg: string): void;
}

const defaultLog: HarnessLog = (msg) => process.stderr.write(`[es-harness] ${msg}\n`);

const INTEG_TEST_ZIP = { group: 'org.elasticsearch.distribution.integ-test-zip', artifact: 'elasticsearch' };

function unzipInto(zip: string, destParent: string): void {
  const attempts: [string, string[]][] = [
    ['unzip', ['-q', '-o', zip, '-d', destParent]],
    ['python3', ['-m', 'zipfile', '-e', zip, destParent]],
  ];
  for (const [cmd, args] of attempts) {
    const r = spawnSync(cmd, args, { stdio: 'inherit' });
    if (r.status === 0) return;
  }
  throw new Error(`could not unpack ${zip}: install unzip or python3`);
}

/** Makes sure bin/ scripts and bundled launchers are executable (python's zipfile drops the mode bits). */
function fixModes(home: string): void {
  for (const dir of ['bin']) {
    const p = join(home, dir);
    if (!existsSync(p)) continue;
    spawnSync('chmod', ['-R', 'a+rX,a+x', p]);
  }
  spawnSync('chmod', ['-R', 'a+rX', home]);
}

const ZIP_RECIPE = '1';

/**
 * The newest `major`.x integ-test-zip (or `version`), downloaded and unpacked into the cache.
 * 8.x leaves out the module that serves GET /, so one of ours is compiled in; 7.x serves it itself.
 */
async function ensureEsZip(
  major: 7 | 8,
  version: string | undefined,
  log: HarnessLog,
): Promise<EsDistribution> {
  const java = pickJava(17, major === 7 ? 21 : 24);
  if (!java)
    throw new Error(
      `Elasticsearch ${major}.x needs Java 17-${major === 7 ? 21 : 24}; none found (set JAVA_HOME)`,
    );
  const v =
    version ?? newestRelease(await mavenVersions(INTEG_TEST_ZIP.group, INTEG_TEST_ZIP.artifact), major);
  if (!v) throw new Error(`no ${major}.x integ-test-zip found on Maven Central`);
  const dir = join(cacheDir(), 'es');
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const home = join(dir, `elasticsearch-${v}-zip-${ZIP_RECIPE}`);
  if (!existsSync(join(home, '.complete'))) {
    const zip = join(dir, `elasticsearch-${v}.zip`);
    await download(mavenUrl(INTEG_TEST_ZIP.group, INTEG_TEST_ZIP.artifact, v, 'zip'), zip, log);
    const staging = mkdtempSync(join(dir, 'unpack-'));
    try {
      unzipInto(zip, staging);
      const inner = readdirSync(staging).find((d) => d.startsWith('elasticsearch-'));
      if (!inner) throw new Error(`unexpected layout in ${zip}`);
      const unpacked = join(staging, inner);
      if (major === 8) compileRootInfoModule({ java, home: unpacked, esVersion: v, major: 8, work: staging });
      fixModes(unpacked);
      writeFileSync(join(unpacked, '.complete'), `${new Date().toISOString()}\n`);
      rmSync(home, { recursive: true, force: true });
      renameSync(unpacked, home);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  return { product: 'elasticsearch', version: v, major, home, java, kind: 'zip', security: true };
}

/** The newest 7.x (7.17) integ-test-zip (or `version`). */
export function ensureEs7(version?: string, log: HarnessLog = defaultLog): Promise<EsDistribution> {
  return ensureEsZip(7, version, log);
}

/** The newest 8.x integ-test-zip (or `version`). */
export function ensureEs8(version?: string, log: HarnessLog = defaultLog): Promise<EsDistribution> {
  return ensureEsZip(8, version, log);
}

/**
 * A 9.x node assembled from the jars Elasticsearch publishes on Maven Central (no 9.x integ-test-zip
 * is published), when a Java 21+ is installed. Undefined when no suitable Java exists.
 */
export async function ensureEs9(
  version?: string,
  log: HarnessLog = defaultLog,
): Promise<EsDistribution | undefined> {
  const java = pickJava(21);
  if (!java) return undefined;
  const built = await assembleEs9({ java, log, ...(version ? { version } : {}) });
  return {
    product: 'elasticsearch',
    version: built.version,
    major: 9,
    home: built.home,
    java,
    kind: 'assembled',
    security: false,
  };
}

/**
 * OpenSearch assembled from Maven Central (opensearch-assembly.ts): 2.x on Java 17-23 (it needs the
 * Java security manager, which Java 24 removed), 3.x on Java 21+. Undefined when no suitable Java exists.
 */
export async function ensureOpenSearch(
  major: 2 | 3,
  version?: string,
  log: HarnessLog = defaultLog,
): Promise<EsDistribution | undefined> {
  const java = major === 2 ? pickJava(17, 23) : pickJava(21);
  if (!java) return undefined;
  const built = await assembleOpenSearch({ java, major, log, ...(version ? { version } : {}) });
  return {
    product: 'opensearch',
    version: built.version,
    major,
    home: built.home,
    java,
    kind: 'assembled',
    security: false,
  };
}

/** What each server needs that may be missing here (undefined: it can run). */
export function missingJava(id: ServerId): string | undefined {
  switch (id) {
    case 'es7':
    case 'es8':
      return undefined; // Java 17 is the baseline; ensure* says what is wrong when it is missing
    case 'es9':
      return pickJava(21) ? undefined : 'Elasticsearch 9.x needs Java 21+';
    case 'os2':
      return pickJava(17, 23) ? undefined : 'OpenSearch 2.x needs Java 17-23';
    case 'os3':
      return pickJava(21) ? undefined : 'OpenSearch 3.x needs Java 21+';
  }
}

/**
 * The distribution of one server, downloaded or assembled into the cache on first use. `version`
 * picks a release of that line (default: the newest on Maven Central, or the one pinned in
 * SERVER_VERSIONS). Undefined when this machine has no Java that runs it.
 */
export async function ensureServer(
  id: ServerId,
  version = SERVER_VERSIONS[id],
  log: HarnessLog = defaultLog,
): Promise<EsDistribution | undefined> {
  switch (id) {
    case 'es7':
      return ensureEs7(version, log);
    case 'es8':
      return ensureEs8(version, log);
    case 'es9':
      return ensureEs9(version, log);
    case 'os2':
      return ensureOpenSearch(2, version, log);
    case 'os3':
      return ensureOpenSearch(3, version, log);
  }
}

/**
 * Versions the test suite pins (undefined: the newest release of that line on Maven Central).
 * OpenSearch 2.19.6 is the newest 2.x whose modules are all published; 3.9.0 the newest 3.x.
 */
export const SERVER_VERSIONS: Record<ServerId, string | undefined> = {
  es7: undefined,
  es8: undefined,
  es9: undefined,
  os2: '2.19.6',
  os3: '3.9.0',
};

/** The version ESALERT_<ID>_VERSION pins (e.g. ESALERT_OS2_VERSION=2.19.5; ESALERT_ES8_VERSION as before). */
export function serverVersionFromEnv(id: ServerId, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[`ESALERT_${id.toUpperCase()}_VERSION`] ?? SERVER_VERSIONS[id];
}

/** "es7" from "es7", "7", "opensearch-2", "os3"... (the names ESALERT_ES_VERSIONS and --dist/--version take). */
export function parseServerId(spec: string): ServerId | undefined {
  const s = spec.trim().toLowerCase();
  if ((SERVER_IDS as readonly string[]).includes(s)) return s as ServerId;
  const m = /^(es|elasticsearch|os|opensearch)?[-_ ]?(\d+)/.exec(s);
  if (!m) return undefined;
  const product = m[1]?.startsWith('o') ? 'os' : 'es';
  const id = `${product}${m[2]}`;
  return (SERVER_IDS as readonly string[]).includes(id) ? (id as ServerId) : undefined;
}

/** A human name: "Elasticsearch 7.17.29" / "OpenSearch 2.19.6". */
export function serverName(product: Product, version: string): string {
  return `${product === 'opensearch' ? 'OpenSearch' : 'Elasticsearch'} ${version}`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function unprivilegedIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid))
    throw new Error('running as root but no "nobody" user');
  return { uid, gid };
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, entry.name);
    if (entry.isDirectory()) chownTree(p, uid, gid);
    else chownSync(p, uid, gid);
  }
}

function nodeConfig(httpPort: number, transportPort: number, runDir: string, security: boolean): string {
  const securitySettings = security
    ? [
        'xpack.security.enabled: true',
        'xpack.security.http.ssl.enabled: false',
        'xpack.security.transport.ssl.enabled: false',
        'xpack.security.authc.anonymous.username: anonymous',
        'xpack.security.authc.anonymous.roles: superuser',
        'xpack.security.authc.anonymous.authz_exception: true',
      ]
    : [];
  return [
    'cluster.name: esalert-test',
    'node.name: esalert-test',
    'network.host: 127.0.0.1',
    `http.port: ${httpPort}`,
    `transport.port: ${transportPort}`,
    'discovery.type: single-node',
    `path.data: ${join(runDir, 'data')}`,
    `path.logs: ${join(runDir, 'logs')}`,
    'action.destructive_requires_name: false',
    'cluster.routing.allocation.disk.threshold_enabled: false',
    ...securitySettings,
    '',
  ].join('\n');
}

/** What bin/opensearch and its jvm.options give the server JVM, less the GC logs. */
function openSearchJvmOptions(dist: EsDistribution, common: string[], runDir: string): string[] {
  const out = [...common, `-Djava.io.tmpdir=${join(runDir, 'tmp')}`, '-Dlog4j2.disable.jmx=true'];
  if (dist.java.major >= 20) out.push('--add-modules=jdk.incubator.vector');
  if (dist.java.major >= 24) out.push('--enable-native-access=ALL-UNNAMED');
  if (dist.major === 2) {
    // 2.x runs under the Java security manager (allowed up to Java 23).
    if (dist.java.major >= 18) out.push('-Djava.security.manager=allow');
    out.push(
      '-Djava.util.concurrent.ForkJoinPool.common.threadFactory=org.opensearch.secure_sm.SecuredForkJoinWorkerThreadFactory',
    );
  }
  return out;
}

function jvmOptions(dist: EsDistribution, heapMb: number, runDir: string): string {
  // The distribution's jvm.options writes up to 2 GB of GC logs; ours keeps the essentials only.
  const common = [
    '-XX:+UseG1GC',
    '-XX:+ExitOnOutOfMemoryError',
    '-Xlog:disable',
    '-Xlog:all=warning:stderr',
    `-Xms${heapMb}m`,
    `-Xmx${heapMb}m`,
  ];
  if (dist.product === 'opensearch') return openSearchJvmOptions(dist, common, runDir).join('\n');
  if (dist.kind === 'zip') {
    return [...common, '-Djava.io.tmpdir=${ES_TMPDIR}', '20-:--add-modules=jdk.incubator.vector', ''].join(
      '\n',
    );
  }
  // Our 9.x launcher reads plain options (no version prefixes). The SIMD vector library is not
  // published, so Lucene's Java vector code is used instead.
  return [
    ...common,
    '--add-modules=jdk.incubator.vector',
    '-Dorg.apache.lucene.store.MMapDirectory.sharedArenaMaxPermits=1',
    '-Dorg.elasticsearch.nativeaccess.enableVectorLibrary=false',
    '',
  ].join('\n');
}

function launchCommand(
  dist: EsDistribution,
  config: string,
  runDir: string,
): { cmd: string; args: string[] } {
  if (dist.kind === 'zip') return { cmd: join(dist.home, 'bin', 'elasticsearch'), args: [] };
  if (dist.product === 'opensearch') {
    const options = readFileSync(join(config, 'jvm.options'), 'utf8').split('\n').filter(Boolean);
    return {
      cmd: join(dist.java.home, 'bin', 'java'),
      args: [
        ...options,
        `-Dopensearch.path.home=${dist.home}`,
        `-Dopensearch.path.conf=${config}`,
        '-Dopensearch.distribution.type=tar',
        '-Dopensearch.bundled_jdk=false',
        '-cp',
        `${join(dist.home, 'lib')}/*`,
        'org.opensearch.bootstrap.OpenSearch',
      ],
    };
  }
  return {
    cmd: join(dist.java.home, 'bin', 'java'),
    args: [
      '-Xms4m',
      '-Xmx64m',
      '-XX:+UseSerialGC',
      `-Des.path.home=${dist.home}`,
      `-Des.path.conf=${config}`,
      '-cp',
      `${join(dist.home, 'lib')}/*:${join(dist.home, 'lib', 'tools', 'launcher')}`,
      'ServerLauncher',
      join(runDir, 'es.pid'),
    ],
  };
}

function logTail(runDir: string, lines = 60): string {
  const parts: string[] = [];
  for (const f of [join(runDir, 'stdout.log'), join(runDir, 'logs', 'esalert-test.log')]) {
    if (existsSync(f)) parts.push(readFileSync(f, 'utf8').split('\n').slice(-lines).join('\n'));
  }
  return parts.join('\n---\n');
}

async function waitHealthy(
  url: string,
  child: { exitCode: number | null },
  runDir: string,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`Elasticsearch exited with code ${child.exitCode} during startup:\n${logTail(runDir)}`);
    }
    try {
      const res = await fetch(`${url}/_cluster/health?wait_for_status=yellow&timeout=2s`, {
        signal: AbortSignal.timeout(5000),
      });
      if (res.ok) {
        const body = (await res.json()) as { status?: string };
        if (body.status === 'green' || body.status === 'yellow') return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`Elasticsearch did not become healthy within ${timeoutMs / 1000}s:\n${logTail(runDir)}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops the process group started by startElasticsearch and removes its directory. Idempotent. */
export async function stopProcessGroup(pid: number, runDir: string, graceMs = 20_000): Promise<void> {
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // already gone
    }
  };
  if (isAlive(pid)) {
    signalGroup('SIGTERM');
    const deadline = Date.now() + graceMs;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    signalGroup('SIGKILL');
    while (isAlive(pid)) await new Promise((r) => setTimeout(r, 100));
  }
  // The server JVM is in the same group; make sure nothing of the group survives before deleting data.
  for (let i = 0; i < 50; i++) {
    const r = spawnSync('pgrep', ['-g', String(pid)], { encoding: 'utf8' });
    if (r.status !== 0 || !r.stdout.trim()) break;
    signalGroup('SIGKILL');
    await new Promise((res) => setTimeout(res, 100));
  }
  rmSync(runDir, { recursive: true, force: true });
}

export interface StartOptions {
  heapMb?: number;
  log?: HarnessLog;
  startupTimeoutMs?: number;
}

export async function startElasticsearch(dist: EsDistribution, opts: StartOptions = {}): Promise<RunningEs> {
  const log = opts.log ?? defaultLog;
  const runDir = mkdtempSync(
    join(tmpdir(), `esalert-${dist.product === 'opensearch' ? 'os' : 'es'}${dist.major}-`),
  );
  const config = join(runDir, 'config');
  cpSync(join(dist.home, 'config'), config, { recursive: true });
  for (const d of ['data', 'logs', 'tmp']) mkdirSync(join(runDir, d));
  const [httpPort, transportPort] = [await freePort(), await freePort()];
  writeFileSync(
    join(config, dist.product === 'opensearch' ? 'opensearch.yml' : 'elasticsearch.yml'),
    nodeConfig(httpPort, transportPort, runDir, dist.security),
  );
  writeFileSync(join(config, 'jvm.options'), jvmOptions(dist, opts.heapMb ?? 512, runDir));
  let credentials: RunningEs['credentials'];
  if (dist.security) {
    // The minimal distribution has no analysis-common module, so the .security index (native users,
    // API keys, tokens) cannot be created; the file realm works.
    credentials = { username: 'esalert', password: randomBytes(12).toString('base64url') };
    const r = spawnSync(
      join(dist.home, 'bin', 'elasticsearch-users'),
      ['useradd', credentials.username, '-p', credentials.password, '-r', 'superuser'],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          ES_JAVA_HOME: dist.java.home,
          ES_PATH_CONF: config,
        },
        encoding: 'utf8',
      },
    );
    if (r.status !== 0) throw new Error(`elasticsearch-users failed: ${r.stderr}`);
  }
  const ids = unprivilegedIds();
  if (ids) chownTree(runDir, ids.uid, ids.gid);
  const out = openSync(join(runDir, 'stdout.log'), 'a');
  const started = Date.now();
  const { cmd, args } = launchCommand(dist, config, runDir);
  const child = spawn(cmd, args, {
    cwd: runDir,
    detached: true,
    stdio: ['ignore', out, out],
    ...(ids ?? {}),
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: runDir,
      ES_JAVA_HOME: dist.java.home,
      ES_PATH_CONF: config,
      ES_TMPDIR: join(runDir, 'tmp'),
      LANG: 'C.UTF-8',
    },
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn Elasticsearch');
  child.unref();
  const url = `http://127.0.0.1:${httpPort}`;
  const stop = () => stopProcessGroup(pid, runDir);
  try {
    await waitHealthy(url, child, runDir, opts.startupTimeoutMs ?? 240_000);
  } catch (err) {
    await stop();
    throw err;
  }
  const info = (await (await fetch(url)).json()) as { version: { number: string } };
  log(
    `${serverName(dist.product, info.version.number)} (Java ${dist.java.major}) ready at ${url} in ${((Date.now() - started) / 1000).toFixed(1)}s`,
  );
  writeFileSync(join(runDir, 'state.json'), JSON.stringify({ pid, url, version: info.version.number }));
  return {
    product: dist.product,
    url,
    version: info.version.number,
    pid,
    runDir,
    stop,
    ...(credentials ? { credentials } : {}),
  };
}

/**
 * Starts the server a command line names (`--server os2 --version 2.19.6`, ids as parseServerId
 * reads them), for the benchmarks and `npm run es:up`.
 */
export async function startServer(
  spec: string,
  version?: string,
  opts: StartOptions = {},
): Promise<RunningEs> {
  const id = parseServerId(spec);
  if (!id) throw new Error(`unknown server "${spec}": use one of ${SERVER_IDS.join(', ')}`);
  const dist = await ensureServer(id, version ?? serverVersionFromEnv(id), opts.log ?? defaultLog);
  if (!dist) throw new Error(`${missingJava(id) ?? id}; none found`);
  return startElasticsearch(dist, opts);
}

/** "OpenSearch 2.19.6" for the server at `url` (GET /). */
export async function runningServerName(url: string): Promise<string> {
  const info = (await (await fetch(url)).json()) as { version: { number: string; distribution?: string } };
  return serverName(
    info.version.distribution === 'opensearch' ? 'opensearch' : 'elasticsearch',
    info.version.number,
  );
}
