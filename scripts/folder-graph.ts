/**
 * node scripts/folder-graph.ts          -> the import graph between the folders of src/ (folder ->
 *                                          the folders it imports), as layers.test.ts checks it
 * node scripts/folder-graph.ts --table  -> the table of what each folder may import, as
 *                                          docs/architecture.md shows it (from layers.ts)
 */
import { join } from 'node:path';
import { folderGraph } from '../test/unit/architecture/folder-graph.ts';
import { LAYERS } from '../test/unit/architecture/layers.ts';

if (process.argv.includes('--table')) {
  process.stdout.write('| folder | may import | holds |\n|---|---|---|\n');
  for (const l of LAYERS) {
    const may = l.mayImport.length ? l.mayImport.map((f) => `\`${f}\``).join(', ') : '(nothing)';
    process.stdout.write(`| \`${l.folder}\` | ${may} | ${l.holds} |\n`);
  }
} else {
  const edges = folderGraph(join(import.meta.dirname, '../src'));
  const byFolder = new Map<string, string[]>();
  for (const e of edges) byFolder.set(e.from, [...(byFolder.get(e.from) ?? []), e.to]);
  for (const [from, to] of [...byFolder].sort(([a], [b]) => a.localeCompare(b)))
    process.stdout.write(`${from} -> ${to.join(', ')}\n`);
}
