import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

export interface JavaInstall {
  home: string;
  major: number;
}

/** `java -XshowSettings:properties -version` output (the JVM prints it on stderr). */
function javaSettings(bin: string): string {
  const r = spawnSync(bin, ['-XshowSettings:properties', '-version'], { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

function parseMajor(text: string): number | undefined {
  const m = /java\.specification\.version = (\d+)/.exec(text) ?? /version "(\d+)/.exec(text);
  return m?.[1] ? Number(m[1]) : undefined;
}

function javaMajor(home: string): number | undefined {
  const bin = join(home, 'bin', 'java');
  return existsSync(bin) ? parseMajor(javaSettings(bin)) : undefined;
}

/** Every Java installation we can find: ES_JAVA_HOME, JAVA_HOME, the one on PATH, and /usr/lib/jvm/*. */
export function findJavaInstalls(env: NodeJS.ProcessEnv = process.env): JavaInstall[] {
  const homes = new Set<string>();
  for (const h of [env.ES_JAVA_HOME, env.JAVA_HOME]) if (h) homes.add(h);
  for (const root of ['/usr/lib/jvm', '/opt/java', '/usr/local/lib/jvm']) {
    if (!existsSync(root)) continue;
    for (const d of readdirSync(root)) homes.add(realpathSync(join(root, d)));
  }
  const found: JavaInstall[] = [];
  for (const home of homes) {
    const major = javaMajor(home);
    if (major !== undefined) {
      found.push({ home, major });
    }
  }
  // The `java` on PATH, when it is not one of the homes above.
  if (found.length === 0) {
    const text = javaSettings('java');
    const homeMatch = /java\.home = (.+)/.exec(text);
    const major = parseMajor(text);
    if (homeMatch?.[1] && major !== undefined) found.push({ home: homeMatch[1].trim(), major });
  }
  return found.sort((a, b) => a.major - b.major);
}

/** The lowest Java whose major version lies in [min, max]. */
export function pickJava(
  min: number,
  max = Infinity,
  env: NodeJS.ProcessEnv = process.env,
): JavaInstall | undefined {
  return findJavaInstalls(env).find((j) => j.major >= min && j.major <= max);
}
