/**
 * The console's files: its page, its stylesheet and its modules, all from the package (no CDN).
 *
 * From a checkout the modules are the TypeScript sources of web/, stripped of their types on
 * first request (Node's own `stripTypeScriptTypes`, the same transform that runs the server's
 * sources) and kept in memory; from the built package (`npm run build`) they are the JavaScript
 * that tsc compiled next to them. Either way the browser gets plain ES modules; the page lists
 * them all as modulepreload links so that it fetches them at once instead of import by import.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONSOLE_CSS } from './web/styles.ts';

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  /** The body gzipped, once asked for. */
  gzipped?: Buffer;
}

export interface ConsoleAssets {
  /** `/assets/...` -> the file, or undefined. */
  get(path: string): Asset | undefined;
  /** The console's page. */
  page(): Asset;
  /** How modules are served: TypeScript stripped on the fly (checkout) or compiled JavaScript (package). */
  readonly mode: 'ts' | 'js';
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.ts': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

const WEB_DIR = fileURLToPath(new URL('./web/', import.meta.url));

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}

const etagOf = (body: Buffer) => `"${createHash('sha1').update(body).digest('base64url').slice(0, 16)}"`;

type Strip = (code: string, options: { mode: 'strip' }) => string;

/**
 * Node's stripTypeScriptTypes, without its one-time ExperimentalWarning (it would land as a
 * stray non-JSON line in the log); loaded only when a checkout's sources are served.
 */
async function loadStripper(): Promise<Strip> {
  const mod = (await import('node:module')) as unknown as { stripTypeScriptTypes?: Strip };
  const strip = mod.stripTypeScriptTypes;
  if (!strip)
    throw new Error('this Node has no module.stripTypeScriptTypes: run the built package (npm run build)');
  return (code, options) => {
    const emit = process.emitWarning;
    process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
      const text = typeof warning === 'string' ? warning : warning.message;
      if (text.includes('stripTypeScriptTypes')) return;
      (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
    }) as typeof process.emitWarning;
    try {
      return strip(code, options);
    } finally {
      process.emitWarning = emit;
    }
  };
}

/** The console's files under `dir` (default: web/ beside this module). */
export async function loadConsoleAssets(dir = WEB_DIR): Promise<ConsoleAssets> {
  const files = existsSync(dir) ? listFiles(dir) : [];
  const rel = (f: string) => relative(dir, f).split(sep).join('/');
  const mode: 'ts' | 'js' = files.some((f) => rel(f) === 'main.js') ? 'js' : 'ts';
  const strip = mode === 'ts' ? await loadStripper() : undefined;
  const cache = new Map<string, Asset>();
  const known = new Map<string, string>();
  for (const f of files) {
    const name = rel(f);
    const ext = name.slice(name.lastIndexOf('.'));
    if (!(ext in TYPES) || name.endsWith('.d.ts') || name.endsWith('.map')) continue;
    if (mode === 'js' && ext === '.ts') continue;
    known.set(name, f);
  }
  // modules the browser imports (not the shared types, not the stylesheet the server serves itself)
  const serverOnly = new Set([`api-types.${mode}`, `styles.${mode}`]);
  for (const name of serverOnly) known.delete(name);
  const modules = [...known.keys()].filter((n) => n.endsWith(`.${mode}`)).sort();
  const cssBody = Buffer.from(CONSOLE_CSS);
  cache.set('console.css', { body: cssBody, type: TYPES['.css']!, etag: etagOf(cssBody) });

  const get = (path: string): Asset | undefined => {
    const name = path.replace(/^\/assets\//, '');
    const hit = cache.get(name);
    if (hit) return hit;
    const file = known.get(name);
    if (!file) return undefined;
    let body = readFileSync(file);
    if (name.endsWith('.ts') && strip) body = Buffer.from(strip(body.toString('utf8'), { mode: 'strip' }));
    const asset = { body, type: TYPES[name.slice(name.lastIndexOf('.'))]!, etag: etagOf(body) };
    cache.set(name, asset);
    return asset;
  };

  let page: Asset | undefined;
  return {
    mode,
    get,
    page() {
      if (page) return page;
      // the shell's modules; each page's own load when it is first shown
      const preload = modules
        .filter((m) => m !== `main.${mode}` && !m.startsWith('pages/'))
        .map((m) => `<link rel="modulepreload" href="/assets/${m}">`)
        .join('\n');
      const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>esalert</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/console.css">
${preload}
<script type="module" src="/assets/main.${mode}"></script>
</head>
<body>
<div id="app"><header class="top"><a class="brand" href="#/rules">esalert</a></header><main id="page"></main></div>
<noscript>The esalert console needs JavaScript. The JSON API under /api/ works without it (docs/api.md).</noscript>
</body>
</html>
`;
      const body = Buffer.from(html);
      page = { body, type: 'text/html; charset=utf-8', etag: etagOf(body) };
      return page;
    },
  };
}
