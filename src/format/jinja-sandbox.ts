/**
 * The sandbox around nunjucks: rule authors write templates, so a template must not reach
 * JavaScript's object model (constructor, __proto__, Function), the process or the environment.
 *
 * nunjucks is not a sandbox by itself. Two things make it one here:
 *
 * 1. Every template's syntax tree is checked before it is compiled to JavaScript: nunjucks
 *    writes variable, filter, test and macro names into the generated code without escaping them,
 *    so a name must be a plain identifier, and regular-expression literals are refused.
 * 2. The runtime lookups the generated code calls are replaced:
 *    - `a.b` / `a[b]` read only own data properties of plain objects and arrays, a character of a
 *      string, and a fixed table of Jinja (Python) methods; never a property of a function, a
 *      class instance or a prototype;
 *    - a bare name reads only the template's own variables, the values handed to render and the
 *      sandbox's globals (range, cycler, joiner), never inherited properties such as constructor;
 *    - only functions the sandbox made are callable: the globals, macros and callers, and the
 *      methods from the table. Anything else (a Function reached some other way) cannot be called.
 *    - `in` on a mapping tests own keys.
 *
 * The environments also get filter, test and global tables without prototypes, so `x | constructor`
 * is "filter not found". Templates can still be slow (a loop inside a loop); range() is capped.
 */
import type nunjucks from 'nunjucks';

/** The longest list range() builds (Jinja's sandbox uses the same bound). */
export const MAX_RANGE = 100_000;

type AnyFunction = (...args: never[]) => unknown;

const callable = new WeakSet<AnyFunction>();

/** Marks a function as one templates may call. */
function allowCall<T extends AnyFunction>(fn: T): T {
  callable.add(fn);
  return fn;
}

interface NjNode {
  lineno: number;
  colno: number;
  fields: string[];
  children?: NjNode[];
  value?: unknown;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** An error with the position nunjucks would give (1-based line and column). */
function positioned(node: NjNode, message: string): Error {
  return Object.assign(new Error(message), { lineno: node.lineno + 1, colno: node.colno + 1 });
}

/**
 * Refuses what nunjucks would compile unsafely: names that are not identifiers (they are
 * written into the generated JavaScript as they are) and regular-expression literals.
 */
type NodeClass = abstract new (...args: never[]) => object;

export function checkTemplateTree(node: NjNode, nodes: { Symbol: NodeClass; Literal: NodeClass }): void {
  const stack: NjNode[] = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n instanceof nodes.Symbol) {
      if (typeof n.value !== 'string' || !IDENTIFIER.test(n.value))
        throw positioned(n, `"${String(n.value).slice(0, 40)}" is not a valid name`);
    } else if (n instanceof nodes.Literal) {
      const v = n.value;
      if (v !== null && !['string', 'number', 'boolean'].includes(typeof v))
        throw positioned(n, 'regular expression literals are not supported');
    }
    for (const field of n.fields) {
      const value = (n as unknown as Record<string, unknown>)[field];
      // most fields hold a node; some (Set's targets) hold a plain array of nodes
      for (const v of Array.isArray(value) ? value : [value])
        if (v && typeof v === 'object' && 'fields' in v) stack.push(v as NjNode);
    }
    if (n.children) stack.push(...n.children);
  }
}

// --- values ---

// nunjucks' SafeString, known once installSandbox ran (nunjucks loads on the first template)
let SafeString: typeof nunjucks.runtime.SafeString | undefined;

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

const text = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : SafeString && v instanceof SafeString ? String(v) : undefined;

const WHITESPACE = ' \t\n\r\v\f';
/** Python's str.splitlines boundaries (the file, group and record separators included). */
// eslint-disable-next-line no-control-regex -- Python splits lines at these separators too
const LINE_BREAKS = new RegExp('\\r\\n|[\\n\\r\\v\\f\\u001c-\\u001e\\u0085\\u2028\\u2029]', 'u');

function stripChars(s: string, chars: unknown, left: boolean, right: boolean): string {
  const set = typeof chars === 'string' ? chars : WHITESPACE;
  let start = 0;
  let end = s.length;
  if (left) while (start < end && set.includes(s[start]!)) start++;
  if (right) while (end > start && set.includes(s[end - 1]!)) end--;
  return s.slice(start, end);
}

/** Python's str.split: on whitespace runs without a separator, else on the separator. */
function pySplit(s: string, sep: unknown, maxsplit: unknown): string[] {
  const max = typeof maxsplit === 'number' && maxsplit >= 0 ? maxsplit : Infinity;
  if (sep === undefined || sep === null) {
    const out: string[] = [];
    let i = 0;
    while (i < s.length) {
      while (i < s.length && WHITESPACE.includes(s[i]!)) i++;
      if (i >= s.length) break;
      if (out.length >= max) {
        out.push(stripChars(s.slice(i), undefined, false, true));
        break;
      }
      let j = i;
      while (j < s.length && !WHITESPACE.includes(s[j]!)) j++;
      out.push(s.slice(i, j));
      i = j;
    }
    return out;
  }
  const separator = String(sep);
  if (separator === '') throw new Error('split: empty separator');
  const out: string[] = [];
  let from = 0;
  for (;;) {
    const at = out.length < max ? s.indexOf(separator, from) : -1;
    if (at < 0) break;
    out.push(s.slice(from, at));
    from = at + separator.length;
  }
  out.push(s.slice(from));
  return out;
}

function countOf(s: string, sub: string): number {
  if (sub === '') return Array.from(s).length + 1;
  let n = 0;
  for (let at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length)) n++;
  return n;
}

function prefixTest(s: string, arg: unknown, test: (s: string, p: string) => boolean): boolean {
  const options = Array.isArray(arg) ? arg : [arg];
  return options.some((p) => typeof p === 'string' && test(s, p));
}

const STRING_METHODS: Record<string, (s: string, ...args: unknown[]) => unknown> = {
  upper: (s) => s.toUpperCase(),
  lower: (s) => s.toLowerCase(),
  strip: (s, chars) => stripChars(s, chars, true, true),
  lstrip: (s, chars) => stripChars(s, chars, true, false),
  rstrip: (s, chars) => stripChars(s, chars, false, true),
  startswith: (s, p) => prefixTest(s, p, (a, b) => a.startsWith(b)),
  endswith: (s, p) => prefixTest(s, p, (a, b) => a.endsWith(b)),
  split: (s, sep, max) => pySplit(s, sep, max),
  splitlines: (s) => {
    const lines = s.split(LINE_BREAKS);
    if (lines.at(-1) === '') lines.pop();
    return lines;
  },
  replace: (s, old, replacement, count) => {
    const from = String(old);
    const to = String(replacement);
    const max = typeof count === 'number' && count >= 0 ? count : Infinity;
    if (from === '') return s;
    let out = '';
    let start = 0;
    let done = 0;
    for (let at = s.indexOf(from); at >= 0 && done < max; at = s.indexOf(from, start)) {
      out += s.slice(start, at) + to;
      start = at + from.length;
      done++;
    }
    return out + s.slice(start);
  },
  find: (s, sub) => s.indexOf(String(sub)),
  count: (s, sub) => countOf(s, String(sub)),
  join: (s, items) => (Array.isArray(items) ? items.map((i) => text(i) ?? String(i)).join(s) : ''),
  title: (s) =>
    s.toLowerCase().replace(/(^|[^\p{L}])(\p{L})/gu, (_, pre: string, c: string) => pre + c.toUpperCase()),
  capitalize: (s) => (s ? s[0]!.toUpperCase() + s.slice(1).toLowerCase() : s),
  isdigit: (s) => /^\d+$/.test(s),
  isalpha: (s) => /^\p{L}+$/u.test(s),
  // nunjucks' own string methods that templates written for it use
  toUpperCase: (s) => s.toUpperCase(),
  toLowerCase: (s) => s.toLowerCase(),
  trim: (s) => s.trim(),
  includes: (s, sub) => s.includes(String(sub)),
  startsWith: (s, p) => s.startsWith(String(p)),
  endsWith: (s, p) => s.endsWith(String(p)),
  indexOf: (s, sub) => s.indexOf(String(sub)),
};

const LIST_METHODS: Record<string, (list: unknown[], ...args: unknown[]) => unknown> = {
  index: (list, item) => {
    const i = list.indexOf(item);
    if (i < 0) throw new Error('ValueError: the item is not in the list');
    return i;
  },
  count: (list, item) => list.filter((x) => x === item).length,
  join: (list, sep) => list.map((i) => text(i) ?? String(i)).join(sep === undefined ? ',' : String(sep)),
  includes: (list, item) => list.includes(item),
  indexOf: (list, item) => list.indexOf(item),
};

const DICT_METHODS: Record<string, (d: Record<string, unknown>, ...args: unknown[]) => unknown> = {
  items: (d) => Object.keys(d).map((k) => [k, d[k]]),
  keys: (d) => Object.keys(d),
  values: (d) => Object.keys(d).map((k) => d[k]),
  get: (d, key, fallback) => {
    const k = String(key);
    return Object.hasOwn(d, k) && d[k] !== undefined ? d[k] : fallback === undefined ? null : fallback;
  },
  has_key: (d, key) => Object.hasOwn(d, String(key)),
};

function bound<T>(
  table: Record<string, (self: T, ...args: unknown[]) => unknown>,
  self: T,
  name: string,
): AnyFunction | undefined {
  if (!Object.hasOwn(table, name)) return undefined;
  const method = table[name]!;
  return allowCall((...args: unknown[]) => method(self, ...args));
}

/** Python's index for a sequence of `length`: negatives count from the end; undefined when outside. */
function indexInto(key: unknown, length: number): number | undefined {
  const n =
    typeof key === 'number' ? key : typeof key === 'string' && /^-?\d+$/.test(key) ? Number(key) : NaN;
  if (!Number.isInteger(n)) return undefined;
  const i = n < 0 ? n + length : n;
  return i >= 0 && i < length ? i : undefined;
}

/** Python's slice of a list (or of a string's characters). */
function slice<T>(items: readonly T[], start: unknown, stop: unknown, step: unknown): T[] {
  const st = step === null || step === undefined ? 1 : Number(step);
  if (!Number.isInteger(st) || st === 0) throw new Error('slice step must be a whole number other than 0');
  const len = items.length;
  const bound = (v: unknown, fallback: number, low: number, high: number): number => {
    if (v === null || v === undefined) return fallback;
    let n = Math.trunc(Number(v));
    if (Number.isNaN(n)) throw new Error('slice indices must be numbers');
    if (n < 0) n += len;
    return Math.min(Math.max(n, low), high);
  };
  const out: T[] = [];
  if (st > 0) {
    const a = bound(start, 0, 0, len);
    const b = bound(stop, len, 0, len);
    for (let i = a; i < b; i += st) out.push(items[i]!);
  } else {
    const a = bound(start, len - 1, -1, len - 1);
    const b = bound(stop, -1, -1, len - 1);
    for (let i = a; i > b; i += st) out.push(items[i]!);
  }
  return out;
}

/** `obj.key`, `obj[key]` and `obj[start:stop:step]` inside a template. */
function memberLookup(obj: unknown, key: unknown, ...sliceArgs: unknown[]): unknown {
  if (obj === undefined || obj === null) return undefined;
  const s = text(obj);
  if (sliceArgs.length === 2) {
    if (s !== undefined) return slice(Array.from(s), key, sliceArgs[0], sliceArgs[1]).join('');
    if (Array.isArray(obj)) return slice(obj, key, sliceArgs[0], sliceArgs[1]);
    return undefined;
  }
  if (s !== undefined) {
    if (key === 'length') return s.length;
    const i = indexInto(key, s.length);
    if (i !== undefined) return s[i];
    return typeof key === 'string' ? bound(STRING_METHODS, s, key) : undefined;
  }
  if (Array.isArray(obj)) {
    if (key === 'length') return obj.length;
    const i = indexInto(key, obj.length);
    if (i !== undefined) return obj[i];
    return typeof key === 'string' ? bound(LIST_METHODS, obj, key) : undefined;
  }
  if (!isPlainObject(obj)) return undefined;
  const name = String(key);
  const method = bound(DICT_METHODS, obj, name);
  if (method) return method;
  if (!Object.hasOwn(obj, name)) return undefined;
  const value = obj[name];
  if (typeof value !== 'function') return value;
  // a macro or a global kept in a mapping, or a cycler's next(): called with its object as `this`
  if (!callable.has(value as AnyFunction)) return undefined;
  return allowCall((...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(obj, args));
}

interface ContextLike {
  ctx: Record<string, unknown>;
  env: { globals: Record<string, unknown> };
}
interface FrameLike {
  lookup(name: string): unknown;
}

const PYTHON_CONSTANTS: Record<string, unknown> = { True: true, False: false, None: null };

/** A bare name: the template's variables, then the render values, then the globals (own keys only). */
function contextOrFrameLookup(context: ContextLike, frame: FrameLike, name: string): unknown {
  const own = frame.lookup(name); // frames keep their variables in prototype-less objects
  if (own !== undefined) return own;
  if (Object.hasOwn(context.ctx, name)) return context.ctx[name];
  if (Object.hasOwn(context.env.globals, name)) return context.env.globals[name];
  return Object.hasOwn(PYTHON_CONSTANTS, name) ? PYTHON_CONSTANTS[name] : undefined;
}

function callWrap(fn: unknown, name: string, context: unknown, args: unknown[]): unknown {
  if (!fn) throw new Error(`Unable to call \`${name}\`, which is undefined or falsey`);
  if (typeof fn !== 'function') throw new Error(`Unable to call \`${name}\`, which is not a function`);
  if (!callable.has(fn as AnyFunction)) throw new Error(`\`${name}\` cannot be called in a template`);
  return (fn as (...a: unknown[]) => unknown).apply(context, args);
}

function inOperator(key: unknown, container: unknown): boolean {
  const s = text(container);
  if (s !== undefined) return s.includes(String(key));
  if (Array.isArray(container)) return container.includes(key);
  if (isPlainObject(container)) return Object.hasOwn(container, String(key));
  throw new Error(`Cannot use "in" to search for "${String(key).slice(0, 40)}" in this value`);
}

let installed = false;

/** Replaces nunjucks' runtime lookups (once, process-wide; esalert is nunjucks' only user). */
export function installSandbox(nj: typeof nunjucks): void {
  if (installed) return;
  installed = true;
  SafeString = nj.runtime.SafeString;
  const runtime = nj.runtime as unknown as Record<string, unknown>;
  const makeMacro = runtime.makeMacro as (...args: unknown[]) => AnyFunction;
  runtime.makeMacro = (...args: unknown[]) => allowCall(makeMacro(...args));
  runtime.memberLookup = memberLookup;
  runtime.contextOrFrameLookup = contextOrFrameLookup;
  runtime.callWrap = callWrap;
  runtime.inOperator = inOperator;
}

// --- globals ---

function range(start: unknown, stop?: unknown, step?: unknown): number[] {
  let a = Number(start);
  let b = Number(stop);
  const s = step === undefined ? 1 : Number(step);
  if (stop === undefined) {
    b = a;
    a = 0;
  }
  if (![a, b, s].every(Number.isInteger)) throw new Error('range() takes whole numbers');
  if (s === 0) throw new Error('range() step must not be 0');
  const length = Math.max(0, Math.ceil((b - a) / s));
  if (length > MAX_RANGE) throw new Error(`range() is limited to ${MAX_RANGE} items`);
  const out: number[] = [];
  for (let i = 0; i < length; i++) out.push(a + i * s);
  return out;
}

/** Jinja's cycler: next() gives the current item and moves on; current is the item next() gives. */
function cycler(...items: unknown[]): Record<string, unknown> {
  let position = 0;
  const state = Object.create(null) as Record<string, unknown>;
  const at = () => (items.length ? items[position] : null);
  state.current = at();
  state.next = allowCall(() => {
    const item = at();
    position = items.length ? (position + 1) % items.length : 0;
    state.current = at();
    return item;
  });
  state.reset = allowCall(() => {
    position = 0;
    state.current = at();
    return '';
  });
  return state;
}

function joiner(sep?: unknown): AnyFunction {
  const separator = sep === undefined ? ', ' : String(sep);
  let first = true;
  return allowCall(() => {
    const out = first ? '' : separator;
    first = false;
    return out;
  });
}

interface EnvironmentTables {
  globals: Record<string, unknown>;
  filters: Record<string, unknown>;
  tests: Record<string, unknown>;
}

/** Gives an environment the sandbox's globals and filter/test tables without prototypes. */
export function lockEnvironment(env: nunjucks.Environment): void {
  // the environment comes from the nunjucks that installSandbox patched (jinja.ts loads both)
  if (!installed) throw new Error('the template sandbox is not installed');
  const e = env as unknown as EnvironmentTables;
  const globals = Object.create(null) as Record<string, unknown>;
  globals.range = allowCall(range);
  globals.cycler = allowCall(cycler);
  globals.joiner = allowCall(joiner);
  e.globals = globals;
  e.filters = Object.assign(Object.create(null) as Record<string, unknown>, e.filters);
  e.tests = Object.assign(Object.create(null) as Record<string, unknown>, e.tests);
}
