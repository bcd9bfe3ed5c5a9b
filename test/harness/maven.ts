/** Resolving Maven Central artifacts into the cache's local repository (cacheDir()/m2) with mvn. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from './cache.ts';
import { run } from './java-build.ts';

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
