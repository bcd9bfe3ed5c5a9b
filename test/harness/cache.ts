import { createHash } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

/**
 * Where downloaded tools (Elasticsearch distributions, the ElastAlert 2 virtualenv) are kept between runs.
 * Outside the repository. As root the cache must be readable by the unprivileged user that runs
 * Elasticsearch, so it lives under /var/cache rather than /root.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir =
    env.ESALERT_CACHE_DIR ??
    (process.getuid?.() === 0
      ? '/var/cache/esalert'
      : join(env.XDG_CACHE_HOME ?? join(env.HOME ?? '/tmp', '.cache'), 'esalert'));
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  return dir;
}

export const MAVEN_CENTRAL = 'https://repo1.maven.org/maven2';

export function mavenUrl(group: string, artifact: string, version: string, ext: string, classifier?: string) {
  const file = `${artifact}-${version}${classifier ? `-${classifier}` : ''}.${ext}`;
  return `${MAVEN_CENTRAL}/${group.replaceAll('.', '/')}/${artifact}/${version}/${file}`;
}

export async function fetchText(url: string, timeoutMs = 30_000): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return res.text();
}

/**
 * Downloads `url` to `dest` once (atomically, via a temporary file) and checks it against the
 * repository's published SHA-1. A file already in the cache is trusted.
 */
export async function download(url: string, dest: string, log: (msg: string) => void): Promise<void> {
  if (existsSync(dest)) return;
  const expected = (await fetchText(`${url}.sha1`)).trim().split(/\s+/)[0];
  log(`downloading ${url}`);
  const res = await fetch(url, { signal: AbortSignal.timeout(15 * 60_000) });
  if (!res.ok || !res.body) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const tmp = `${dest}.part-${process.pid}`;
  const hash = createHash('sha1');
  const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  body.on('data', (chunk: Buffer) => hash.update(chunk));
  try {
    await pipeline(body, createWriteStream(tmp));
    const actual = hash.digest('hex');
    if (expected && actual !== expected)
      throw new Error(`checksum mismatch for ${url}: ${actual} != ${expected}`);
    renameSync(tmp, dest);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** The versions listed in a Maven artifact's maven-metadata.xml, cached for a day so offline reruns work. */
export async function mavenVersions(group: string, artifact: string): Promise<string[]> {
  const cacheFile = join(cacheDir(), `maven-metadata-${group}-${artifact}.xml`);
  let xml: string | undefined;
  try {
    xml = await fetchText(`${MAVEN_CENTRAL}/${group.replaceAll('.', '/')}/${artifact}/maven-metadata.xml`);
    const tmp = `${cacheFile}.${process.pid}`;
    writeFileSync(tmp, xml);
    renameSync(tmp, cacheFile);
  } catch (err) {
    if (!existsSync(cacheFile)) throw err;
    xml = readFileSync(cacheFile, 'utf8');
  }
  return [...xml.matchAll(/<version>([^<]+)<\/version>/g)].map((m) => m[1]!);
}

/** Compares dotted numeric versions; pre-release suffixes sort before the release. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return y !== undefined && /^\d+$/.test(y) ? -1 : 1;
    if (y === undefined) return /^\d+$/.test(x) ? 1 : -1;
    const nx = Number(x);
    const ny = Number(y);
    if (Number.isInteger(nx) && Number.isInteger(ny)) {
      if (nx !== ny) return nx - ny;
    } else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The newest release (no -SNAPSHOT/-alpha/-rc) with the given major version. */
export function newestRelease(versions: string[], major: number): string | undefined {
  return versions
    .filter((v) => /^\d+\.\d+\.\d+$/.test(v) && Number(v.split('.')[0]) === major)
    .sort(compareVersions)
    .at(-1);
}
