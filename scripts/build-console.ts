/**
 * The console's files that tsc does not emit (its stylesheet) go beside the compiled modules in
 * dist/, so that the built package serves the console without its sources. Run by npm run build.
 */
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const from = join(import.meta.dirname, '../src/http/console/web');
const to = join(import.meta.dirname, '../dist/http/console/web');

const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)).map((f) => join(e.name, f)) : [e.name],
  );

for (const file of walk(from)) {
  if (file.endsWith('.ts')) continue;
  cpSync(join(from, file), join(to, file));
}
