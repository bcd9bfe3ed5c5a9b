/**
 * Jinja templates, rendered with nunjucks (Jinja-compatible; `True`/`None`, `.items()` and slices
 * through its Jinja compatibility layer): ElastAlert 2's alert_text_jinja, and the bodies of the
 * webhook and post2 alerters.
 *
 * Every `{{ ... }}` output goes through one conversion, chosen by the template's mode:
 * - text: values print as Jinja prints Python values (None, True, {'a': 1}); nothing is escaped.
 * - json: the template produces JSON, so every printed value is JSON-string-escaped: quotes,
 *   newlines and backslashes in event messages cannot break the document. `tojson` (raw JSON
 *   values), `json_escape` and `safe` outputs are inserted as they are.
 *
 * Extra filters: json_escape, tojson, tz('Asia/Shanghai'), datetimeformat('%Y-%m-%d %H:%M:%S', zone),
 * and Jinja's map (attribute= or a filter name).
 */
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve, sep } from 'node:path';
import type nunjucks from 'nunjucks';
import { EsalertError } from '../errors/esalert-error.ts';
import { type Doc, lookupField, pythonRepr } from '../model/lookup.ts';
import { isValidTimeZone, parseTimestamp, strftime, wallTime } from '../util/time.ts';
import type { JinjaRenderer } from './alert-text.ts';
import { checkTemplateTree, installSandbox, lockEnvironment } from './jinja-sandbox.ts';
import { escapeHtml, escapeMarkdown } from './escape.ts';

/** text: Python-style printing; json: values JSON-escaped; markdown / html: text printing, escaped for the format. */
export type TemplateMode = 'text' | 'json' | 'markdown' | 'html';

/** A template that does not compile or render (code TEMPLATE_INVALID); the message says where and what. */
export class TemplateError extends EsalertError {
  constructor(message: string) {
    super('TEMPLATE_INVALID', message, { fault: 'user' });
    this.name = 'TemplateError';
  }
}

// --- nunjucks internals used to route every output through the mode's conversion ---

interface NjNode {
  lineno: number;
  colno: number;
  fields: string[];
  children?: NjNode[];
}
type NodeClass = abstract new (...args: never[]) => NjNode;
interface NunjucksInternals {
  parser: { parse(src: string, extensions: unknown, opts: unknown): NjNode };
  compiler: {
    Compiler: new (
      name: string,
      throwOnUndefined: boolean,
    ) => { compile(n: NjNode): void; getCode(): string };
  };
  nodes: {
    Node: NodeClass;
    Output: NodeClass;
    TemplateData: NodeClass;
    Capture: NodeClass;
    NodeList: new (lineno: number, colno: number, children: NjNode[]) => NjNode;
    Filter: new (lineno: number, colno: number, name: NjNode, args: NjNode) => NjNode;
    Symbol: new (lineno: number, colno: number, value: string) => NjNode;
    Literal: NodeClass;
  };
}
interface EnvironmentInternals {
  extensionsList: unknown[];
  asyncFilters: string[];
  opts: unknown;
}

const require = createRequire(import.meta.url);

interface Nunjucks {
  nj: NunjucksInternals & typeof nunjucks;
  transformer: { transform(ast: NjNode, asyncFilters: string[], name: string): NjNode };
  SafeString: typeof nunjucks.runtime.SafeString;
}

let loaded: Nunjucks | undefined;

/**
 * nunjucks, loaded the first time a template is compiled or rendered: a process whose rules use
 * no Jinja never pays for it (about 7 MB of RSS).
 */
function njk(): Nunjucks {
  if (loaded) return loaded;
  const nj = require('nunjucks') as NunjucksInternals & typeof nunjucks;
  const transformer = require('nunjucks/src/transformer') as Nunjucks['transformer'];
  // Jinja's True/False/None, dict.items()/keys()/values() and slices are parsed by nunjucks'
  // Jinja compatibility layer; the runtime lookups it installs are then replaced by the sandbox's.
  nj.installJinjaCompat();
  // the sandbox's lookups replace nunjucks' (jinja-sandbox.ts); its slices of strings give strings
  installSandbox(nj);
  loaded = { nj, transformer, SafeString: nj.runtime.SafeString };
  return loaded;
}

const OUTPUT_FILTER = '__esalert_output';

const isA = (value: unknown, cls: NodeClass): boolean => value instanceof cls;

/**
 * Wraps every printed expression in the output filter, except inside captures ({% set %} and
 * {% filter %} blocks): their text is converted once, when it is printed.
 */
function routeOutputs(node: NjNode, wrap = true): void {
  const { nodes } = njk().nj;
  const inner = wrap && !isA(node, nodes.Capture);
  if (wrap && isA(node, nodes.Output) && node.children) {
    node.children = node.children.map((child) =>
      isA(child, nodes.TemplateData)
        ? child
        : new nodes.Filter(
            child.lineno,
            child.colno,
            new nodes.Symbol(child.lineno, child.colno, OUTPUT_FILTER),
            new nodes.NodeList(child.lineno, child.colno, [child]),
          ),
    );
  }
  for (const field of node.fields) {
    const value = (node as unknown as Record<string, unknown>)[field];
    if (isA(value, nodes.Node)) routeOutputs(value as NjNode, inner);
  }
  if (node.children) for (const child of node.children) routeOutputs(child, inner);
}

function compileProps(source: string, env: nunjucks.Environment, name: string): unknown {
  const e = env as unknown as EnvironmentInternals;
  const { nj, transformer } = njk();
  const ast = nj.parser.parse(source, e.extensionsList, e.opts);
  checkTemplateTree(ast, nj.nodes);
  routeOutputs(ast);
  const compiler = new nj.compiler.Compiler(name, false);
  compiler.compile(transformer.transform(ast, e.asyncFilters, name));
  return new Function(compiler.getCode())();
}

// --- values and filters ---

/** A timestamp placed in a time zone by the tz filter; prints as ISO 8601 with the offset. */
class ZonedTime {
  readonly ms: number;
  readonly zone: string;
  constructor(ms: number, zone: string) {
    this.ms = ms;
    this.zone = zone;
  }
  toString(): string {
    const w = wallTime(this.ms, this.zone);
    const sign = w.offsetMinutes < 0 ? '-' : '+';
    const abs = Math.abs(w.offsetMinutes);
    const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
    const fraction = w.ms ? `.${String(w.ms).padStart(3, '0')}` : '';
    return `${strftime('%Y-%m-%dT%H:%M:%S', this.ms, this.zone)}${fraction}${offset}`;
  }
}

/** A string escaped for a JSON string literal, without the quotes. */
export function jsonEscape(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

function sortKeysDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeysDeep);
  if (v && typeof v === 'object' && !(v instanceof ZonedTime)) {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeysDeep((v as Doc)[k])]),
    );
  }
  return v instanceof ZonedTime ? v.toString() : v;
}

const isRaw = (v: unknown): boolean => v instanceof njk().SafeString;

/** Text mode: what Jinja prints for a Python value. */
function textOutput(v: unknown): unknown {
  if (isRaw(v) || v instanceof ZonedTime) return String(v);
  if (v === undefined) return '';
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'object') return pythonRepr(v);
  return v;
}

/** Markdown and HTML modes: printed as in text mode, then escaped (`|safe` values are not). */
const escapedOutput = (escape: (text: string) => string) => (v: unknown) =>
  isRaw(v) ? String(v) : escape(String(textOutput(v)));

const OUTPUTS: Record<TemplateMode, (v: unknown) => unknown> = {
  text: (v) => textOutput(v),
  json: (v) => jsonOutput(v),
  markdown: escapedOutput(escapeMarkdown),
  html: escapedOutput(escapeHtml),
};

/** JSON mode: every printed value escaped for a JSON string literal. */
function jsonOutput(v: unknown): string {
  if (isRaw(v)) return String(v);
  if (v === undefined || v === null) return '';
  if (v instanceof ZonedTime) return jsonEscape(v.toString());
  if (typeof v === 'object') return jsonEscape(JSON.stringify(v));
  return jsonEscape(String(v));
}

function epochOf(value: unknown): number | undefined {
  if (value instanceof ZonedTime) return value.ms;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' || value instanceof Date) return parseTimestamp(value);
  return undefined;
}

function checkZone(zone: unknown): string {
  const z = String(zone);
  if (!isValidTimeZone(z))
    throw new Error(`unknown time zone "${z}" (use an IANA name such as Asia/Shanghai)`);
  return z;
}

const FILTERS: Record<string, (...args: never[]) => unknown> = {
  json_escape: (value: unknown) =>
    new (njk().SafeString)(
      value === undefined || value === null
        ? ''
        : jsonEscape(typeof value === 'object' && !isRaw(value) ? JSON.stringify(value) : String(value)),
    ),
  tojson: (value: unknown, indent?: number) =>
    new (njk().SafeString)(JSON.stringify(sortKeysDeep(value ?? null), null, indent) ?? 'null'),
  tz: (value: unknown, zone: unknown) => {
    const z = checkZone(zone);
    const ms = epochOf(value);
    return ms === undefined ? value : new ZonedTime(ms, z);
  },
  datetimeformat: (value: unknown, format: unknown = '%Y-%m-%d %H:%M:%S', zone?: unknown) => {
    const ms = epochOf(value);
    if (ms === undefined) return value;
    const z = zone !== undefined ? checkZone(zone) : value instanceof ZonedTime ? value.zone : 'UTC';
    return strftime(String(format), ms, z);
  },
};

/** Jinja's map: `map(attribute='a.b')` or `map('upper')` (nunjucks has no map filter). */
function jinjaMap(env: nunjucks.Environment, seq: unknown, args: unknown[]): unknown[] {
  const list = Array.isArray(seq) ? seq : [];
  const last = args.at(-1) as { __keywords?: boolean; attribute?: unknown } | undefined;
  const kwargs =
    last && typeof last === 'object' && last.__keywords ? (args.pop() as typeof last) : undefined;
  if (kwargs?.attribute !== undefined) {
    const path = String(kwargs.attribute);
    return list.map((item) =>
      item && typeof item === 'object' ? lookupField(item as Doc, path) : undefined,
    );
  }
  if (typeof args[0] !== 'string') throw new Error("map needs a filter name or attribute='field'");
  const [name, ...rest] = args as [string, ...unknown[]];
  const filter = env.getFilter(name) as (...a: unknown[]) => unknown;
  return list.map((item) => filter(item, ...rest));
}

// --- environments and compiled templates ---

function isInside(dir: string, name: string): boolean {
  let root: string;
  let file: string;
  try {
    root = realpathSync(dir);
    file = realpathSync(resolve(dir, name));
  } catch {
    return true; // missing: the loader reports "not found"
  }
  return file.startsWith(root + sep);
}

function createEnvironment(mode: TemplateMode, templateDir?: string): nunjucks.Environment {
  const loaders: nunjucks.ILoader[] = [];
  if (templateDir) {
    // Included templates are compiled the same way, so their outputs are converted too.
    const files = new (njk().nj.FileSystemLoader)(templateDir);
    loaders.push({
      getSource(name: string) {
        // only files inside templateDir (nunjucks compares path prefixes: /rules-other passes /rules)
        if (!isInside(templateDir, name)) throw new Error(`template "${name}" is outside ${templateDir}`);
        const found = files.getSource(name);
        if (!found) return found;
        const obj = compileProps(found.src, env, name);
        return { ...found, src: { type: 'code', obj } as unknown as string };
      },
    });
  }
  // An empty loader list: without one nunjucks would read templates from ./views.
  const env = new (njk().nj.Environment)(loaders, { autoescape: false, throwOnUndefined: false });
  for (const [name, fn] of Object.entries(FILTERS))
    env.addFilter(name, fn as (...args: unknown[]) => unknown);
  env.addFilter('map', (seq: unknown, ...args: unknown[]) => jinjaMap(env, seq, args));
  env.addFilter(OUTPUT_FILTER, OUTPUTS[mode]);
  lockEnvironment(env);
  return env;
}

/** nunjucks' "(name) [Line 1, Column 3]\n  Error: message" as "line 1, column 3: message". */
function cleanMessage(err: unknown): string {
  const e = err as { message?: unknown; lineno?: unknown; colno?: unknown };
  let text = String(e?.message ?? err)
    .replace(/^\([^)]*\)\s*/, '')
    .replace(/^\[Line (\d+), Column (\d+)\]\s*/, 'line $1, column $2: ')
    .replace(/\n\s*/g, ' ')
    .replace(/(^|: )(Template render error: |Error: |parse[A-Za-z]*: )/g, '$1')
    .trim();
  if (typeof e?.lineno === 'number' && !/line \d+/.test(text)) {
    text = `line ${e.lineno}${typeof e.colno === 'number' ? `, column ${e.colno}` : ''}: ${text}`;
  }
  return text;
}

export interface CompiledTemplate {
  /** Renders the template; throws TemplateError. */
  render(values: Doc): string;
}

export interface CompileOptions {
  mode?: TemplateMode;
  /** Directory for {% include %} / {% import %} (the directory of jinja_template_path). */
  templateDir?: string;
}

function compileWith(env: nunjucks.Environment, source: string): CompiledTemplate {
  let template: nunjucks.Template;
  try {
    const obj = compileProps(source, env, 'template');
    template = new (njk().nj.Template)({ type: 'code', obj } as unknown as string, env, 'template');
  } catch (err) {
    throw new TemplateError(cleanMessage(err));
  }
  return {
    render(values) {
      try {
        return template.render(values);
      } catch (err) {
        throw new TemplateError(cleanMessage(err));
      }
    },
  };
}

/** Compiles a template once for many renders; throws TemplateError when it does not parse. */
export function compileTemplate(source: string, options: CompileOptions = {}): CompiledTemplate {
  return compileWith(createEnvironment(options.mode ?? 'text', options.templateDir), source);
}

/** Why a template does not compile, or undefined when it does (load-time validation). */
export function checkTemplate(source: string): string | undefined {
  try {
    compileTemplate(source);
    return undefined;
  } catch (err) {
    return err instanceof TemplateError ? err.message : String(err);
  }
}

/** A template that produces a JSON document (webhook and post2 bodies). */
export interface JsonTemplate {
  /** The rendered text, every printed value JSON-escaped. */
  renderText(values: Doc): string;
  /** The rendered document parsed; throws TemplateError when it is not JSON. */
  renderJson(values: Doc): unknown;
}

/** Parses a rendered JSON body; the error names the position and shows the text around it. */
export function parseRenderedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const at = /position (\d+)/.exec(message);
    const pos = at ? Number(at[1]) : undefined;
    const near =
      pos !== undefined ? `; near ${JSON.stringify(text.slice(Math.max(0, pos - 30), pos + 30))}` : '';
    throw new TemplateError(`the rendered text is not valid JSON (${message}${near})`);
  }
}

export function compileJsonTemplate(source: string): JsonTemplate {
  const compiled = compileTemplate(source, { mode: 'json' });
  return {
    renderText: (values) => compiled.render(values),
    renderJson: (values) => parseRenderedJson(compiled.render(values)),
  };
}

/** Renders a JSON-producing template once (values JSON-escaped) and returns the text. */
export function renderJsonTemplate(source: string, values: Doc): string {
  return compileJsonTemplate(source).renderText(values);
}

/**
 * The renderer for alert_text_type: alert_text_jinja (plugged into alert-text.ts): text mode, or
 * markdown / html mode for a rich channel (printed values escaped); compiled templates cached per
 * mode and source text.
 */
export function createJinjaRenderer(options: { templateDir?: string } = {}): JinjaRenderer {
  const envs = new Map<TemplateMode, nunjucks.Environment>();
  const cache = new Map<string, CompiledTemplate>();
  const MAX_CACHED = 256;
  return (template, values, format) => {
    const mode: TemplateMode = format === 'markdown' || format === 'html' ? format : 'text';
    const key = `${mode}\0${template}`;
    let compiled = cache.get(key);
    if (!compiled) {
      let env = envs.get(mode);
      if (!env) envs.set(mode, (env = createEnvironment(mode, options.templateDir)));
      compiled = compileWith(env, template);
      if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
      cache.set(key, compiled);
    }
    return compiled.render(values);
  };
}
