/**
 * Elasticsearch 9.x for the test harness, put together from what Elastic publishes on Maven Central.
 *
 * No 9.x integ-test-zip is published, but the server jar, its dependencies, the transport-netty4
 * module and the entitlement bridge are. Maven resolves those; a few small Java files of ours
 * (test/harness/java) stand in for the unpublished pieces: the launcher, the entitlement agent,
 * the console loader and the root endpoint (GET /). The node has no x-pack modules, so it runs
 * without security.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mavenVersions, newestRelease } from './cache.ts';
import { compileRootInfoModule, javaSourceDir, run } from './java-build.ts';
import { buildOnce, log4j2Config, mvn, resolveInto } from './maven.ts';
import type { JavaInstall } from './java.ts';

const RECIPE_VERSION = '1';

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
  const home = buildOnce(
    `elasticsearch-${version}-assembled-${RECIPE_VERSION}`,
    opts.log,
    `Elasticsearch ${version}`,
    (out, work) => {
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
      writeFileSync(join(out, 'config', 'log4j2.properties'), log4j2Config('es'));
      mkdirSync(join(out, 'plugins'), { recursive: true });
    },
  );
  return { version, home };
}
