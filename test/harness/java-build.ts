/** Building the small Java pieces the test Elasticsearch needs (see test/harness/java). */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JavaInstall } from './java.ts';

export function javaSourceDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'java');
}

/** Runs a build command, failing with its output when it exits non-zero. */
export function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}:\n${r.stdout}\n${r.stderr}`);
  }
}

/**
 * Adds a module serving GET / (the node's version) to an Elasticsearch home: the minimal
 * distributions leave the root endpoint out, and clients use it to detect the server version.
 */
export function compileRootInfoModule(opts: {
  java: JavaInstall;
  home: string;
  esVersion: string;
  major: 8 | 9;
  work: string;
}): void {
  const { java, home, esVersion, major, work } = opts;
  const src = javaSourceDir();
  const classes = join(work, 'root-info-classes');
  mkdirSync(classes, { recursive: true });
  const release = major === 8 ? '17' : '21';
  run(
    join(java.home, 'bin', 'javac'),
    [
      '--release',
      release,
      '-nowarn',
      '-cp',
      `${join(home, 'lib')}/*`,
      '-d',
      classes,
      join(src, 'RootInfoHandler.java'),
      join(src, `es${major}`, 'RootInfoPlugin.java'),
    ],
    work,
  );
  const moduleDir = join(home, 'modules', 'esalert-root-info');
  mkdirSync(moduleDir, { recursive: true });
  run(
    join(java.home, 'bin', 'jar'),
    ['cf', join(moduleDir, 'esalert-root-info.jar'), '-C', classes, '.'],
    work,
  );
  writeFileSync(
    join(moduleDir, 'plugin-descriptor.properties'),
    [
      'description=Serves GET / with the node version (test harness)',
      `version=${esVersion}`,
      'name=esalert-root-info',
      'classname=dev.esalert.testing.RootInfoPlugin',
      `java.version=${release}`,
      `elasticsearch.version=${esVersion}`,
      '',
    ].join('\n'),
  );
}
