/**
 * node scripts/folder-graph.ts -> the import graph between the folders of src/ (folder -> the
 * folders it imports), as test/unit/architecture/layers.test.ts checks it.
 */
import { join } from 'node:path';
import { folderGraph } from '../test/unit/architecture/folder-graph.ts';

const edges = folderGraph(join(import.meta.dirname, '../src'));
const byFolder = new Map<string, string[]>();
for (const e of edges) byFolder.set(e.from, [...(byFolder.get(e.from) ?? []), e.to]);
for (const [from, to] of [...byFolder].sort(([a], [b]) => a.localeCompare(b)))
  process.stdout.write(`${from} -> ${to.join(', ')}\n`);
