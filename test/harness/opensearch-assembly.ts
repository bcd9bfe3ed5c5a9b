/**
 * OpenSearch for the test harness, put together from what the OpenSearch project publishes on Maven
 * Central: the server jar and its dependencies (lib/), and the modules a user's cluster has that
 * esalert relies on: transport-netty4 (HTTP), lang-painless (scripts) and analysis-common (the
 * analyzers the standard text fields and the painless script need). The module jars carry no plugin
 * descriptor, so one is written per module. The node is started with the server's own bootstrap
 * class (org.opensearch.bootstrap.OpenSearch), as bin/opensearch does.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, mavenVersions, newestRelease } from './cache.ts';
import type { JavaInstall } from './java.ts';
import { buildOnce, log4j2Config, mvn, resolveInto } from './maven.ts';

const RECIPE_VERSION = '1';

interface Module {
  dir: string;
  artifact: string;
  /** The plugin class: named ...ModulePlugin from 3.0, ...Plugin before. */
  classnames: string[];
  description: string;
  extends?: string;
}

const MODULES: Module[] = [
  {
    dir: 'transport-netty4',
    artifact: 'transport-netty4-client',
    classnames: ['org.opensearch.transport.Netty4ModulePlugin', 'org.opensearch.transport.Netty4Plugin'],
    description: 'Netty 4 based transport implementation',
  },
  {
    dir: 'lang-painless',
    artifact: 'lang-painless',
    classnames: ['org.opensearch.painless.PainlessModulePlugin', 'org.opensearch.painless.PainlessPlugin'],
    description: 'An easy, safe and fast scripting language for OpenSearch',
  },
  {
    dir: 'analysis-common',
    artifact: 'analysis-common',
    classnames: [
      'org.opensearch.analysis.common.CommonAnalysisModulePlugin',
      'org.opensearch.analysis.common.CommonAnalysisPlugin',
    ],
    description: 'Adds "built in" analyzers to OpenSearch',
    extends: 'lang-painless',
  },
];

/** The <optional> compile dependencies of the server's pom (log4j-core, spatial4j, jts): a distribution ships them. */
function optionalDependencies(pomFile: string): { group: string; artifact: string; version: string }[] {
  const pom = readFileSync(pomFile, 'utf8');
  const out: { group: string; artifact: string; version: string }[] = [];
  for (const [, dep] of pom.matchAll(/<dependency>([\s\S]*?)<\/dependency>/g)) {
    if (!dep!.includes('<optional>true</optional>')) continue;
    const tag = (t: string) => new RegExp(`<${t}>([^<]+)</${t}>`).exec(dep!)?.[1];
    const scope = tag('scope');
    const [group, artifact, version] = [tag('groupId'), tag('artifactId'), tag('version')];
    if (group && artifact && version && (!scope || scope === 'compile'))
      out.push({ group, artifact, version });
  }
  return out;
}

export async function assembleOpenSearch(opts: {
  java: JavaInstall;
  major: 2 | 3;
  log: (msg: string) => void;
  version?: string;
}): Promise<{ version: string; home: string }> {
  const version =
    opts.version ?? newestRelease(await mavenVersions('org.opensearch', 'opensearch'), opts.major);
  if (!version) throw new Error(`no ${opts.major}.x org.opensearch:opensearch on Maven Central`);
  const home = buildOnce(
    `opensearch-${version}-assembled-${RECIPE_VERSION}`,
    opts.log,
    `OpenSearch ${version}`,
    (out, work) => {
      const lib = join(out, 'lib');
      resolveInto(work, 'org.opensearch', 'opensearch', version, lib);
      const serverPom = join(
        cacheDir(),
        'm2',
        'org',
        'opensearch',
        'opensearch',
        version,
        `opensearch-${version}.pom`,
      );
      const extra = [
        ...optionalDependencies(serverPom),
        { group: 'org.opensearch', artifact: 'opensearch-plugin-classloader', version },
        // 3.x: the server refers to the agent's policy classes even when no agent is attached
        ...(opts.major >= 3
          ? [{ group: 'org.opensearch', artifact: 'opensearch-agent-bootstrap', version }]
          : []),
      ];
      for (const d of extra) {
        mvn(
          ['dependency:copy', `-Dartifact=${d.group}:${d.artifact}:${d.version}`, `-DoutputDirectory=${lib}`],
          work,
        );
      }
      const inLib = new Set(readdirSync(lib));
      for (const m of MODULES) {
        const dir = join(out, 'modules', m.dir);
        resolveInto(work, 'org.opensearch.plugin', m.artifact, version, dir);
        for (const jar of readdirSync(dir)) {
          // shared with the server, or (3.x netty) native builds for other platforms
          if (inLib.has(jar) || /-(osx|windows|linux)-(x86_64|aarch_64)\.jar$/.test(jar))
            rmSync(join(dir, jar));
        }
        const jar = join(dir, `${m.artifact}-${version}.jar`);
        const entries = new Set(
          spawnSync('unzip', ['-Z1', jar], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout.split('\n'),
        );
        const classname = m.classnames.find((c) => entries.has(`${c.replaceAll('.', '/')}.class`));
        if (!classname) throw new Error(`${jar} has none of ${m.classnames.join(', ')}`);
        writeFileSync(
          join(dir, 'plugin-descriptor.properties'),
          [
            `description=${m.description}`,
            `version=${version}`,
            `name=${m.dir}`,
            `classname=${classname}`,
            `java.version=${opts.major === 2 ? '11' : '21'}`,
            `opensearch.version=${version}`,
            'custom.foldername=',
            `extended.plugins=${m.extends ?? ''}`,
            'has.native.controller=false',
            '',
          ].join('\n'),
        );
        // 2.x runs under the Java security manager; a test node trusts its own modules.
        writeFileSync(
          join(dir, 'plugin-security.policy'),
          'grant {\n  permission java.security.AllPermission;\n};\n',
        );
      }
      mkdirSync(join(out, 'config'), { recursive: true });
      writeFileSync(join(out, 'config', 'log4j2.properties'), log4j2Config('opensearch'));
      writeFileSync(join(out, 'config', 'jvm.options'), '');
      // the bootstrap grants itself access to bin/ and plugins/ and fails when they are missing
      for (const d of ['bin', 'plugins']) mkdirSync(join(out, d), { recursive: true });
    },
  );
  return { version, home };
}
