/**
 * esalert as the image runs it: `src/` compiled to JavaScript (tsconfig.build.json, as the
 * Dockerfile's build stage does) and started with the image's NODE_OPTIONS (the V8 heap flags).
 * Running the TypeScript sources directly would add Node's type stripping (about 20 MB of RSS)
 * to every measurement, which no deployment pays.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Compiles `sourceDir`'s src/ into `dest` and returns the CLI's entry point there. */
export function buildEsalert(sourceDir: string, dest: string): string {
  mkdirSync(dest, { recursive: true });
  const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
  const built = spawnSync(
    process.execPath,
    [tsc, '-p', join(sourceDir, 'tsconfig.build.json'), '--outDir', dest, '--sourceMap', 'false'],
    { encoding: 'utf8' },
  );
  if (built.status !== 0) throw new Error(`compiling esalert failed: ${built.stdout}${built.stderr}`);
  // ES modules, and esalert's dependencies, as in the image's /app
  writeFileSync(join(dest, 'package.json'), '{ "type": "module" }\n');
  if (!existsSync(join(dest, 'node_modules')))
    symlinkSync(join(REPO, 'node_modules'), join(dest, 'node_modules'));
  return join(dest, 'cli', 'main.js');
}

/** The image's NODE_OPTIONS (its `ENV NODE_OPTIONS=...` line), for running esalert as it would. */
export function imageNodeOptions(dockerfile = join(REPO, 'Dockerfile')): string | undefined {
  const m = /^ENV\s+NODE_OPTIONS=(?:"([^"]*)"|(\S+))/m.exec(readFileSync(dockerfile, 'utf8'));
  return m?.[1] ?? m?.[2];
}
