/**
 * Elasticsearch 9.x for the test harness, put together from what Elastic publishes on Maven Central.
 *
 * No 9.x integ-test-zip is published, but the server jar, its dependencies, the transport-netty4
 * module and the entitlement bridge are. Maven resolves those; a few small Java files of ours
 * (test/harness/java) stand in for the unpublished pieces: the launcher, the entitlement agent,
 * the console loader and the root endpoint (GET /). The node has no x-pack modules, so it runs
 * without security.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { cacheDir, mavenVersions, newestRelease } from './cache.ts';
import { compileRootInfoModule, javaSourceDir, run } from './java-build.ts';
import { mvn, resolveInto } from './maven.ts';
import type { JavaInstall } from './java.ts';

const RECIPE_VERSION = '1';

const LOG4J2 = `status = error
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%consoleException%n
appender.file.type = File
appender.file.name = file
appender.file.fileName = \${sys:es.logs.base_path}\${sys:file.separator}\${sys:es.logs.cluster_name}.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n
rootLogger.level = info
rootLogger.appenderRef.console.ref = console
rootLogger.appenderRef.file.ref = file
`;

function platformDir(): string {
  const arch = process.arch === 'arm64' ? 'aarch64' : 'x64';
  return `linux-${arch}`;
}

function systemZstd(): string | undefined {
  const dirs = [
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/lib/x86_64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
  ];
  return dirs.map((d) => join(d, 'libzstd.so.1')).find((p) => existsSync(p));
}

export async function assembleEs9(opts: {
  java: JavaInstall;
  log: (msg: string) => void;
  version?: string;
}): Promise<{ version: string; home: string }> {
  const version = opts.version ?? newestRelease(await mavenVersions('org.elasticsearch', 'elasticsearch'), 9);
  if (!version) throw new Error('no 9.x org.elasticsearch:elasticsearch on Maven Central');
  const root = join(cacheDir(), 'es');
  const home = join(root, `elasticsearch-${version}-assembled-${RECIPE_VERSION}`);
  if (existsSync(join(home, '.complete'))) return { version, home };

  opts.log(`assembling Elasticsearch ${version} from Maven Central`);
  mkdirSync(root, { recursive: true });
  const staging = mkdtempSync(join(root, 'assemble-'));
  const work = join(staging, 'work');
  const out = join(staging, 'home');
  try {
    mkdirSync(work, { recursive: true });
    const lib = join(out, 'lib');
    resolveInto(work, 'org.elasticsearch', 'elasticsearch', version, lib);

    const netty = join(out, 'modules', 'transport-netty4');
    resolveInto(work, 'org.elasticsearch.plugin', 'transport-netty4', version, netty);
    const inLib = new Set(readdirSync(lib));
    for (const jar of readdirSync(netty)) if (inLib.has(jar)) rmSync(join(netty, jar));
    run(
      'unzip',
      ['-q', '-j', '-o', `transport-netty4-${version}.jar`, 'META-INF/es-plugins/transport-netty4/*'],
      netty,
    );

    mvn(
      [
        'dependency:copy',
        `-Dartifact=org.elasticsearch:elasticsearch-entitlement-bridge:${version}`,
        `-DoutputDirectory=${join(lib, 'entitlement-bridge')}`,
      ],
      work,
    );

    const zstd = systemZstd();
    if (zstd) {
      mkdirSync(join(lib, 'platform', platformDir()), { recursive: true });
      symlinkSync(zstd, join(lib, 'platform', platformDir(), 'libzstd.so'));
    }

    const javac = join(opts.java.home, 'bin', 'javac');
    const jar = join(opts.java.home, 'bin', 'jar');
    const src = javaSourceDir();
    const classes = join(work, 'classes');

    // entitlement agent: a jar with an Agent-Class manifest, alone in its directory
    mkdirSync(join(classes, 'agent'), { recursive: true });
    run(
      javac,
      ['--release', '21', '-nowarn', '-d', join(classes, 'agent'), join(src, 'EntitlementAgent.java')],
      work,
    );
    writeFileSync(
      join(work, 'agent.mf'),
      'Agent-Class: org.elasticsearch.entitlement.agent.EntitlementAgent\nCan-Retransform-Classes: true\n',
    );
    mkdirSync(join(lib, 'entitlement-agent'), { recursive: true });
    run(
      jar,
      [
        'cfm',
        join(lib, 'entitlement-agent', `elasticsearch-entitlement-agent-${version}.jar`),
        join(work, 'agent.mf'),
        '-C',
        join(classes, 'agent'),
        '.',
      ],
      work,
    );

    mkdirSync(join(classes, 'ansi'), { recursive: true });
    run(
      javac,
      ['--release', '21', '-nowarn', '-d', join(classes, 'ansi'), join(src, 'AnsiConsoleLoader.java')],
      work,
    );
    mkdirSync(join(lib, 'tools', 'ansi-console'), { recursive: true });
    run(
      jar,
      ['cf', join(lib, 'tools', 'ansi-console', 'ansi-console.jar'), '-C', join(classes, 'ansi'), '.'],
      work,
    );

    mkdirSync(join(lib, 'tools', 'launcher'), { recursive: true });
    run(
      javac,
      [
        '--release',
        '21',
        '-nowarn',
        '-cp',
        `${lib}/*`,
        '-d',
        join(lib, 'tools', 'launcher'),
        join(src, 'es9', 'ServerLauncher.java'),
      ],
      work,
    );

    compileRootInfoModule({ java: opts.java, home: out, esVersion: version, major: 9, work });

    mkdirSync(join(out, 'config'), { recursive: true });
    writeFileSync(join(out, 'config', 'log4j2.properties'), LOG4J2);
    mkdirSync(join(out, 'plugins'), { recursive: true });
    spawnSync('chmod', ['-R', 'a+rX', out]);
    writeFileSync(join(out, '.complete'), `${new Date().toISOString()}\n`);
    rmSync(home, { recursive: true, force: true });
    renameSync(out, home);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return { version, home };
}
