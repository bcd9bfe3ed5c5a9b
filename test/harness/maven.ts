/**
 * Building a server home from Maven Central artifacts: resolving them into the cache's local
 * repository (cacheDir()/m2) with mvn, and putting the result into the cache once.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from './cache.ts';
import { run } from './java-build.ts';

/** A log4j2 configuration writing to the console and <logs>/<cluster>.log (`prefix`: "es" or "opensearch"). */
export function log4j2Config(prefix: 'es' | 'opensearch'): string {
  return `status = error
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m${prefix === 'es' ? '%consoleException' : ''}%n
appender.file.type = File
appender.file.name = file
appender.file.fileName = \${sys:${prefix}.logs.base_path}\${sys:file.separator}\${sys:${prefix}.logs.cluster_name}.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n
rootLogger.level = info
rootLogger.appenderRef.console.ref = console
rootLogger.appenderRef.file.ref = file
`;
}

/**
 * Builds a server home once: `build(out, work)` fills `out` in a staging directory beside the
 * cache entry, which is renamed into place (cacheDir()/es/<name>) when it completed. Later calls
 * return the cached home.
 */
export function buildOnce(
  name: string,
  log: (msg: string) => void,
  what: string,
  build: (out: string, work: string) => void,
): string {
  const root = join(cacheDir(), 'es');
  const home = join(root, name);
  if (existsSync(join(home, '.complete'))) return home;
  log(`assembling ${what} from Maven Central`);
  mkdirSync(root, { recursive: true });
  const staging = mkdtempSync(join(root, 'assemble-'));
  const work = join(staging, 'work');
  const out = join(staging, 'home');
  try {
    mkdirSync(work, { recursive: true });
    mkdirSync(out, { recursive: true });
    build(out, work);
    spawnSync('chmod', ['-R', 'a+rX', out]);
    writeFileSync(join(out, '.complete'), `${new Date().toISOString()}\n`);
    rmSync(home, { recursive: true, force: true });
    renameSync(out, home);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return home;
}

function pom(group: string, artifact: string, version: string): string {
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.esalert.harness</groupId><artifactId>resolve-${artifact}</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${version}</version></dependency>
  </dependencies>
</project>
`;
}

export function mvn(args: string[], cwd: string): void {
  run('mvn', ['-q', '-B', `-Dmaven.repo.local=${join(cacheDir(), 'm2')}`, ...args], cwd);
}

/** Copies the runtime closure of one artifact into `dest`. */
export function resolveInto(
  work: string,
  group: string,
  artifact: string,
  version: string,
  dest: string,
): void {
  const file = join(work, `${artifact}.pom.xml`);
  writeFileSync(file, pom(group, artifact, version));
  mvn(
    ['-f', file, 'dependency:copy-dependencies', `-DoutputDirectory=${dest}`, '-DincludeScope=runtime'],
    work,
  );
}
