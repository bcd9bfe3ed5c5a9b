/**
 * esalert as the image runs it: `src/` compiled to JavaScript (tsconfig.build.json, as the
 * Dockerfile's build stage does) and started with the image's V8 flags (NODE_OPTIONS and the ENTRYPOINT's node flags).
 * Running the TypeScript sources directly would add Node's type stripping (about 20 MB of RSS)
 * to every measurement, which no deployment pays.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Compiles `sourceDir`'s src/ into `dest`/dist and returns the CLI's entry point there. `dest` is
 * laid out as the image's /app: dist/, bin/ (dist/cli/main.js loads bin/check-node.cjs first),
 * node_modules and a package.json that makes the compiled files ES modules.
 */
export function buildEsalert(sourceDir: string, dest: string): string {
  const dist = join(dest, 'dist');
  mkdirSync(dist, { recursive: true });
  const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
  const built = spawnSync(
    process.execPath,
    [tsc, '-p', join(sourceDir, 'tsconfig.build.json'), '--outDir', dist, '--sourceMap', 'false'],
    { encoding: 'utf8' },
  );
  if (built.status !== 0) throw new Error(`compiling esalert failed: ${built.stdout}${built.stderr}`);
  writeFileSync(join(dest, 'package.json'), '{ "type": "module" }\n');
  for (const [link, target] of [
    ['node_modules', join(REPO, 'node_modules')],
    ['bin', join(sourceDir, 'bin')],
  ] as const)
    if (!existsSync(join(dest, link))) symlinkSync(target, join(dest, link));
  return join(dist, 'cli', 'main.js');
}

/** How the image starts node: the runtime stage's ENV (NODE_OPTIONS, MALLOC_ARENA_MAX...) and the node flags of its ENTRYPOINT. */
export interface ImageNode {
  env: Record<string, string>;
  flags: string[];
}

export function imageNode(dockerfile = join(REPO, 'Dockerfile')): ImageNode {
  const text = readFileSync(dockerfile, 'utf8');
  // the last stage is the image that runs
  const runtime = text.slice(text.search(/^FROM\s[^\n]*$(?![\s\S]*^FROM\s)/m));
  const env: Record<string, string> = {};
  for (const m of runtime.matchAll(/^ENV\s+(\w+)=(?:"([^"]*)"|(\S+))\s*$/gm)) env[m[1]!] = m[2] ?? m[3]!;
  const entry = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(runtime);
  const argv = entry ? (JSON.parse(entry[1]!) as string[]) : [];
  return { env, flags: argv[0] === 'node' ? argv.slice(1, -1) : [] };
}

/** `MALLOC_ARENA_MAX=2 NODE_OPTIONS=... node <flags>`, for reports. */
export function describeImageNode(n: ImageNode = imageNode()): string {
  const env = Object.entries(n.env)
    .filter(([k]) => k !== 'NODE_ENV')
    .map(([k, v]) => `${k}=${v}`);
  return `\`${[...env, 'node', ...n.flags].join(' ')}\``;
}

/** The environment esalert runs with: the image's. */
export function imageEnv(base: NodeJS.ProcessEnv, n: ImageNode): NodeJS.ProcessEnv {
  return { ...base, ...n.env };
}
