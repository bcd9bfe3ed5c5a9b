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
import { compileRootInfoModule } from './java-build.ts';

export interface EsDistribution {
  version: string;
  major: number;
  home: string;
  java: JavaInstall;
  /** 'zip': Elastic's integ-test-zip with its own launcher; 'assembled': built from Maven jars (9.x). */
  kind: 'zip' | 'assembled';
  /** Whether the x-pack security module is present (basic auth, API keys). */
  security: boolean;
}

export interface RunningEs {
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

/** The newest 8.x integ-test-zip (or `version`), downloaded and unpacked into the cache. */
export async function ensureEs8(version?: string, log: HarnessLog = defaultLog): Promise<EsDistribution> {
  const java = pickJava(17, 24);
  if (!java) throw new Error('Elasticsearch 8.x needs Java 17-24; none found (set JAVA_HOME)');
  const v = version ?? newestRelease(await mavenVersions(INTEG_TEST_ZIP.group, INTEG_TEST_ZIP.artifact), 8);
  if (!v) throw new Error('no 8.x integ-test-zip found on Maven Central');
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
      compileRootInfoModule({ java, home: unpacked, esVersion: v, major: 8, work: staging });
      fixModes(unpacked);
      writeFileSync(join(unpacked, '.complete'), `${new Date().toISOString()}\n`);
      rmSync(home, { recursive: true, force: true });
      renameSync(unpacked, home);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  return { version: v, major: 8, home, java, kind: 'zip', security: true };
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
  return { version: built.version, major: 9, home: built.home, java, kind: 'assembled', security: false };
}

/** Which distributions a test run covers: ESALERT_ES_VERSIONS=8,9 (default: 8, plus 9 when Java 21+ exists). */
export async function resolveDistributions(
  env: NodeJS.ProcessEnv = process.env,
  log: HarnessLog = defaultLog,
): Promise<EsDistribution[]> {
  const wanted = (env.ESALERT_ES_VERSIONS ?? '8,9').split(',').map((s) => s.trim());
  const out: EsDistribution[] = [];
  if (wanted.includes('8')) out.push(await ensureEs8(env.ESALERT_ES8_VERSION, log));
  if (wanted.includes('9')) {
    const es9 = await ensureEs9(env.ESALERT_ES9_VERSION, log);
    if (es9) out.push(es9);
    else log('no Java 21+ found: skipping Elasticsearch 9.x');
  }
  return out;
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

function jvmOptions(dist: EsDistribution, heapMb: number): string {
  // The distribution's jvm.options writes up to 2 GB of GC logs; ours keeps the essentials only.
  const common = [
    '-XX:+UseG1GC',
    '-XX:+ExitOnOutOfMemoryError',
    '-Xlog:disable',
    '-Xlog:all=warning:stderr',
    `-Xms${heapMb}m`,
    `-Xmx${heapMb}m`,
  ];
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
  const runDir = mkdtempSync(join(tmpdir(), `esalert-es${dist.major}-`));
  const config = join(runDir, 'config');
  cpSync(join(dist.home, 'config'), config, { recursive: true });
  for (const d of ['data', 'logs', 'tmp']) mkdirSync(join(runDir, d));
  const [httpPort, transportPort] = [await freePort(), await freePort()];
  writeFileSync(
    join(config, 'elasticsearch.yml'),
    nodeConfig(httpPort, transportPort, runDir, dist.security),
  );
  writeFileSync(join(config, 'jvm.options'), jvmOptions(dist, opts.heapMb ?? 512));
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
    `Elasticsearch ${info.version.number} (Java ${dist.java.major}) ready at ${url} in ${((Date.now() - started) / 1000).toFixed(1)}s`,
  );
  writeFileSync(join(runDir, 'state.json'), JSON.stringify({ pid, url, version: info.version.number }));
  return { url, version: info.version.number, pid, runDir, stop, ...(credentials ? { credentials } : {}) };
}
