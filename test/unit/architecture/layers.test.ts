/**
 * The layering of src/ holds: no folder imports another in a cycle (type imports count), and
 * every import between folders is one that test/unit/architecture/layers.ts allows. The same
 * table is in docs/architecture.md, and this test keeps the two equal.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCycle, folderGraph, importsOutside, unitOf } from './folder-graph.ts';
import { LAYERS } from './layers.ts';

const ROOT = join(import.meta.dirname, '../../..');
const SRC = join(ROOT, 'src');

/** The table's rows as [folder, may import] cells. */
function tableRows(): string[][] {
  return LAYERS.map((l) => [
    `\`${l.folder}\``,
    l.mayImport.length ? l.mayImport.map((f) => `\`${f}\``).join(', ') : '(nothing)',
    l.holds,
  ]);
}

describe('layers of src/', () => {
  const edges = folderGraph(SRC);
  const allowed = new Map(LAYERS.map((l) => [l.folder, new Set(l.mayImport)]));

  it('every folder has a row in the table', () => {
    const folders = new Set(edges.flatMap((e) => [e.from, e.to]));
    const missing = [...folders].filter((f) => !allowed.has(f));
    expect(missing, 'add the folder to test/unit/architecture/layers.ts and docs/architecture.md').toEqual(
      [],
    );
  });

  it('imports only what the table allows', () => {
    const forbidden = edges
      .filter((e) => !allowed.get(e.from)?.has(e.to))
      .flatMap((e) => e.imports.map((i) => `${e.from} may not import ${e.to}: ${i}`));
    expect(forbidden).toEqual([]);
  });

  it('imports nothing outside src/ but the Node.js version check, which must run before anything', () => {
    expect(importsOutside(SRC)).toEqual(['cli/main.ts -> ../bin/check-node.cjs']);
  });

  it('only config/ reads the environment (process.env)', () => {
    const readers = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .filter((f) => /\bprocess\.env\b/.test(readFileSync(join(SRC, f), 'utf8')))
      .map((f) => f.split(sep).join('/'));
    expect(readers.filter((f) => !f.startsWith('config/'))).toEqual([]);
  });

  it('has no cycle among its folders, and the table allows none', () => {
    expect(findCycle(edges)).toBeUndefined();
    const tableEdges = LAYERS.flatMap((l) => l.mayImport.map((to) => ({ from: l.folder, to })));
    expect(findCycle(tableEdges)).toBeUndefined();
    for (const e of tableEdges) expect(allowed.has(e.to), `${e.from} -> ${e.to}`).toBe(true);
  });

  it('docs/architecture.md shows the same table', () => {
    const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
    const block = /<!-- layers -->([\s\S]*?)<!-- \/layers -->/.exec(doc)?.[1] ?? '';
    const rows = block
      .split('\n')
      .filter((line) => line.trim().startsWith('|'))
      .slice(2) // header and separator
      .map((line) =>
        line
          .trim()
          .slice(1, -1)
          .split('|')
          .map((c) => c.trim()),
      );
    expect(rows).toEqual(tableRows());
  });

  it('counts type imports, re-exports and dynamic imports, and query/memory and http/console/web as folders of their own', () => {
    expect(unitOf(SRC, join(SRC, 'query/memory/doc-set.ts'))).toBe('query/memory');
    expect(unitOf(SRC, join(SRC, 'query/filters.ts'))).toBe('query');
    expect(unitOf(SRC, join(SRC, 'http/console/web/pages/rules-page.ts'))).toBe('http/console/web');
    expect(unitOf(SRC, join(SRC, 'http/console/console-api.ts'))).toBe('http');
    // format/alert-text.ts imports types only from model/match.ts
    const edge = edges.find((e) => e.from === 'format' && e.to === 'model');
    expect(edge?.imports).toContain('format/alert-text.ts -> model/match.ts');
  });
});
