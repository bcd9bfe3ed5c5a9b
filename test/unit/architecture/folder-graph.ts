/**
 * The import graph between the folders of src/, counting every import: type-only imports,
 * re-exports and dynamic import() included. query/memory (the in-memory backend) counts as a
 * folder of its own, so that production code cannot reach into the emulator through query/; so
 * does http/console/web (the console's browser code), which must not reach into the server's.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** Subfolders that are layers of their own (everything else counts as its top-level folder). */
const OWN_UNITS = ['query/memory', 'http/console/web'];

export interface FolderEdge {
  from: string;
  to: string;
  /** One `file -> imported file` line per import behind the edge. */
  imports: string[];
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** The folder (layer) a file of src/ belongs to; '.' for a file directly in src/. */
export function unitOf(srcDir: string, file: string): string {
  const parts = relative(srcDir, file).split(sep);
  if (parts.length === 1) return '.';
  const dir = parts.slice(0, -1).join('/');
  const own = OWN_UNITS.find((u) => dir === u || dir.startsWith(`${u}/`));
  return own ?? parts[0]!;
}

/** Every relative import of src/: `[importing file, imported file]`, both absolute. */
function relativeImports(srcDir: string): [string, string][] {
  return sourceFiles(srcDir).flatMap((file) =>
    ts
      .preProcessFile(readFileSync(file, 'utf8'), true, true)
      .importedFiles.filter(({ fileName }) => fileName.startsWith('.')) // not packages and node: builtins
      .map(({ fileName }): [string, string] => [file, resolve(dirname(file), fileName)]),
  );
}

const isOutside = (srcDir: string, file: string) => relative(srcDir, file).startsWith('..');

/** Imports of files outside src/, as `file -> imported file` relative to src/. */
export function importsOutside(srcDir: string): string[] {
  return relativeImports(srcDir)
    .filter(([, target]) => isOutside(srcDir, target))
    .map(([file, target]) => `${relative(srcDir, file)} -> ${relative(srcDir, target)}`);
}

export function folderGraph(srcDir: string): FolderEdge[] {
  const edges = new Map<string, FolderEdge>();
  for (const [file, target] of relativeImports(srcDir)) {
    if (isOutside(srcDir, target)) continue; // not a folder of src/: importsOutside() lists these
    const from = unitOf(srcDir, file);
    const to = unitOf(srcDir, target);
    if (to === from) continue;
    const key = `${from} -> ${to}`;
    const edge = edges.get(key) ?? { from, to, imports: [] };
    edge.imports.push(`${relative(srcDir, file)} -> ${relative(srcDir, target)}`);
    edges.set(key, edge);
  }
  return [...edges.values()].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
}

/** A cycle among the edges (as a path that returns to its start), or undefined when there is none. */
export function findCycle(edges: readonly { from: string; to: string }[]): string[] | undefined {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'open') return [...path.slice(path.indexOf(n)), n];
    state.set(n, 'open');
    path.push(n);
    for (const m of next.get(n) ?? []) {
      const cycle = visit(m);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of [...next.keys()].sort()) {
    const cycle = visit(n);
    if (cycle) return cycle;
  }
  return undefined;
}
