/**
 * Values from a parsed YAML document as PyYAML's FullLoader (ElastAlert 2's loader) builds them:
 * its implicit types and explicit tags (`!!str`, `!!int`, `!!float`, `!!bool`, `!!null`,
 * `!!binary`, `!!timestamp`, `!!set`, `!!omap`, `!!pairs`, the simple `!!python/...` ones),
 * anchors and aliases (a duplicate anchor is an error, as in PyYAML), merge keys `<<` with
 * PyYAML's precedence, and duplicate keys, where the last one wins and `onDuplicateKey` is told.
 *
 * Plain output: mappings are objects with string keys, numbers are numbers. With `exactTypes`
 * the output keeps what JavaScript values cannot: mappings are Maps with typed keys, floats are
 * PyFloat, tuples are PyTuple, integers beyond 2^53 are bigints (the differential test against
 * PyYAML compares this form).
 */
import { type CST, type Document, isAlias, isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';
import { blockScalarValue, flowScalarValue } from './yaml-scalar-text.ts';
import {
  constructBinary,
  constructBool,
  constructFloat,
  constructInt,
  constructTimestamp,
  PyFloat,
  PyTuple,
  resolvePlain,
  ScalarError,
  TAG,
  YamlTimestamp,
} from './yaml-scalars.ts';

export class YamlConstructError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

export interface ConstructOptions {
  /** The text the document was parsed from (parsePyYaml's `text`): block scalars are read from it. */
  text: string;
  exactTypes?: boolean;
  /** Called for a key written twice in one mapping: `first` is the earlier key node, `last` the one that wins. */
  onDuplicateKey?: (key: string, first: Node, last: Node) => void;
  /** Called for an integer that a JavaScript number cannot hold exactly (plain output). */
  onInexactInteger?: (text: string, node: Node) => void;
  /**
   * Rewrites the text of scalar values (not keys) before they are typed: `${VAR}` interpolation.
   * A plain scalar that changed stays a string, unless it was one whole reference whose text
   * reads as a number or boolean (`port: ${PORT}` is 9200, as after ElastAlert 2's text substitution).
   */
  substitute?: (text: string, offset: number) => { value: string; changed: boolean; whole: boolean };
}

const PY = 'tag:yaml.org,2002:python/';
/** Deeper nesting than this is refused rather than risking the stack (PyYAML stops near 1000 too). */
const MAX_DEPTH = 500;

type Kind = 'scalar' | 'sequence' | 'mapping';
type AnyNode = Node & { tag?: string; anchor?: string; range?: [number, number, number] | null };

const offsetOf = (node: Node | null | undefined): number => (node as AnyNode | null)?.range?.[0] ?? 0;

function kindOf(node: Node): Kind {
  return isMap(node) ? 'mapping' : isSeq(node) ? 'sequence' : 'scalar';
}

export function constructYaml(doc: Document.Parsed, options: ConstructOptions): unknown {
  return new Constructor(doc, options).root();
}

class Constructor {
  private readonly anchors = new Map<Node, Node>();
  private readonly values = new Map<Node, unknown>();
  private readonly building = new Set<Node>();
  private readonly flattened = new Map<Node, Pair[]>();
  private readonly identities = new Map<Node, number>();
  private readonly flattening = new Set<Node>();
  /** "=" keys: PyYAML's flatten_mapping makes them strings, for every later use of the node. */
  private readonly valueKeys = new Set<Node>();
  private depth = 0;
  private cyclic = false;
  private readonly substitutions = new Map<Node, { value: string; changed: boolean; whole: boolean }>();
  /** > 0 while a mapping key is built: keys are not substituted. */
  private keyDepth = 0;

  private readonly doc: Document.Parsed;
  private readonly options: ConstructOptions;

  constructor(doc: Document.Parsed, options: ConstructOptions) {
    this.doc = doc;
    this.options = options;
  }

  root(): unknown {
    const contents = this.doc.contents as Node | null;
    if (!contents) return null;
    this.collectAnchors(contents, new Map());
    const value = this.construct(contents);
    if (this.cyclic && containsCycle(value))
      this.fail(
        'a list or mapping contains itself through an alias; ElastAlert 2 cannot use such a value',
        contents,
      );
    return value;
  }

  private fail(message: string, node: Node | null | undefined): never {
    throw new YamlConstructError(message, offsetOf(node));
  }

  /** PyYAML's composer: anchors in document order, each name once; aliases point back only. */
  private collectAnchors(node: Node | null, seen: Map<string, Node>, depth = 0): void {
    if (!node) return;
    if (depth > MAX_DEPTH) this.fail(`nested more than ${MAX_DEPTH} levels deep`, node);
    const n = node as AnyNode;
    if (isAlias(node)) {
      const target = seen.get(node.source);
      if (!target) this.fail(`found undefined alias "${node.source}"`, node);
      this.anchors.set(node, target);
      return;
    }
    if (n.anchor) {
      const first = seen.get(n.anchor);
      if (first)
        this.fail(`found duplicate anchor "${n.anchor}": each anchor name may be defined once`, node);
      seen.set(n.anchor, node);
    }
    if (isMap(node)) {
      for (const pair of node.items) {
        this.collectAnchors(pair.key as Node | null, seen, depth + 1);
        this.collectAnchors(pair.value as Node | null, seen, depth + 1);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) this.collectAnchors(item as Node | null, seen, depth + 1);
    }
  }

  private deref(node: Node | null): Node | null {
    return node && isAlias(node) ? (this.anchors.get(node) ?? null) : node;
  }

  /** The tag PyYAML gives a node: explicit, or resolved (plain scalars, and `!` on any scalar). */
  private tagOf(node: Node): string {
    if (this.valueKeys.has(node)) return TAG.str;
    const explicit = (node as AnyNode).tag;
    if (isScalar(node)) {
      if (explicit && explicit !== '!') return explicit;
      if (explicit !== '!' && node.type !== 'PLAIN') return TAG.str;
      const sub = this.substituted(node);
      if (!sub?.changed) return resolvePlain(this.source(node));
      const tag = resolvePlain(sub.value);
      return sub.whole && (tag === TAG.int || tag === TAG.float || tag === TAG.bool) ? tag : TAG.str;
    }
    if (explicit && explicit !== '!') return explicit;
    return isMap(node) ? TAG.map : TAG.seq;
  }

  /** A scalar's text as PyYAML reads it; quoted scalars are folded by yaml-flow-scalar.ts. */
  private source(node: Node): string {
    const token = (node as { srcToken?: CST.Token }).srcToken;
    if (token?.type === 'double-quoted-scalar' || token?.type === 'single-quoted-scalar')
      return flowScalarValue(token.source);
    if (token?.type === 'block-scalar') {
      const header = token.props.find((p) => p.type === 'block-scalar-header');
      const last = token.props.at(-1);
      if (header && 'source' in header && last && 'source' in last) {
        const text = this.options.text;
        const start = last.type === 'newline' ? last.offset + last.source.length : text.length;
        const { value, end } = blockScalarValue(text, header.source, start, token.indent);
        // Leading blank lines indented deeper than the first text line end the scalar for
        // PyYAML (the yaml package reads on); what follows must then be comments.
        const rest = text.slice(end, start + token.source.length);
        if (rest.split('\n').some((line) => line.trim() !== '' && !line.trim().startsWith('#')))
          throw new ScalarError(
            'block scalar: its leading blank lines are indented deeper than its text; give the indentation, e.g. |2',
          );
        return value;
      }
    }
    return String((node as { value?: unknown }).value ?? '');
  }

  private substituted(node: Node): { value: string; changed: boolean; whole: boolean } | undefined {
    const sub = this.options.substitute;
    if (!sub || this.keyDepth > 0) return undefined;
    let done = this.substitutions.get(node);
    if (!done) this.substitutions.set(node, (done = sub(this.source(node), offsetOf(node))));
    return done;
  }

  /** A scalar's text; values (not keys) get `substitute` applied. */
  private text(node: Node): string {
    return this.substituted(node)?.value ?? this.source(node);
  }

  construct(input: Node | null): unknown {
    const node = this.deref(input);
    if (!node) return null;
    if (this.values.has(node)) {
      // a list or mapping refers to itself: PyYAML builds such data (collections are created
      // before they are filled); it only fails when the cycle is still there at the end
      if (this.building.has(node)) this.cyclic = true;
      return this.values.get(node);
    }
    if (this.building.has(node)) this.fail('found a value that contains itself through an alias', input);
    if (++this.depth > MAX_DEPTH) this.fail(`nested more than ${MAX_DEPTH} levels deep`, node);
    this.building.add(node);
    try {
      const value = this.build(node);
      this.values.set(node, value);
      return value;
    } catch (err) {
      if (err instanceof ScalarError) this.fail(err.message, node);
      throw err;
    } finally {
      this.building.delete(node);
      this.depth -= 1;
    }
  }

  /** Registers a collection before its items are built, so that aliases inside it find it. */
  private created<T>(node: Node, value: T): T {
    this.values.set(node, value);
    return value;
  }

  private build(node: Node): unknown {
    const tag = this.tagOf(node);
    const exact = this.options.exactTypes === true;
    switch (tag) {
      case TAG.str:
      case `${PY}str`:
      case `${PY}unicode`:
        return this.scalar(node);
      case TAG.null:
      case `${PY}none`:
        this.scalar(node);
        return null;
      case TAG.bool:
      case `${PY}bool`:
        return constructBool(this.scalar(node));
      case TAG.int:
      case `${PY}int`:
      case `${PY}long`: {
        const text = this.scalar(node);
        const n = constructInt(text);
        if (typeof n === 'bigint' && !exact) {
          this.options.onInexactInteger?.(text, node);
          return Number(n);
        }
        return n;
      }
      case TAG.float:
      case `${PY}float`: {
        const f = constructFloat(this.scalar(node));
        return exact ? new PyFloat(f) : f;
      }
      case TAG.timestamp:
        return constructTimestamp(this.scalar(node));
      case TAG.binary:
      case `${PY}bytes`:
        return constructBinary(this.scalar(node));
      case TAG.seq:
      case `${PY}list`: {
        const items = this.sequence(node, tag);
        const list = this.created<unknown[]>(node, []);
        for (const item of items) list.push(this.construct(item));
        return list;
      }
      case `${PY}tuple`: {
        const items = this.sequence(node, tag).map((item) => this.construct(item));
        return exact ? PyTuple.from(items) : items;
      }
      case TAG.map:
      case `${PY}dict`:
        return this.mapping(node);
      case TAG.set: {
        const set = this.created(node, new Set<unknown>());
        for (const [key] of this.entries(node)) set.add(key);
        return set;
      }
      case TAG.omap:
      case TAG.pairs: {
        const list = this.created<unknown[]>(node, []);
        for (const item of this.sequence(node, tag)) {
          const entry = this.deref(item);
          if (!entry || !isMap(entry))
            this.fail(
              `while constructing ${tag === TAG.omap ? 'an ordered map' : 'pairs'}: expected a mapping of length 1`,
              item,
            );
          if (entry.items.length !== 1)
            this.fail(`expected a single mapping item, but found ${entry.items.length} items`, item);
          const pair = entry.items[0]!;
          const kv = [this.construct(pair.key as Node), this.construct(pair.value as Node)];
          list.push(exact ? PyTuple.from(kv) : kv);
        }
        return list;
      }
      case TAG.value:
        return this.fail(`could not determine a constructor for the tag '${tag}' (a lone "=")`, node);
      default:
        if (tag.startsWith(`${PY}name:`) || tag.startsWith(`${PY}module:`) || tag === `${PY}complex`)
          return this.fail(`the tag '${tag}' makes a Python object; esalert cannot read it`, node);
        return this.fail(`could not determine a constructor for the tag '${tag}'`, node);
    }
  }

  /** PyYAML's construct_scalar: the text, or the `=` entry of a mapping node. */
  private scalar(node: Node): string {
    if (isScalar(node)) return this.text(node);
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = this.deref(pair.key as Node | null);
        if (key && isScalar(key) && this.tagOf(key) === TAG.value) {
          const value = this.deref(pair.value as Node | null);
          if (value) return this.scalar(value);
        }
      }
    }
    return this.fail(`expected a scalar node, but found ${kindOf(node)}`, node);
  }

  private sequence(node: Node, tag: string): (Node | null)[] {
    if (!isSeq(node)) this.fail(`expected a sequence node, but found ${kindOf(node)} (tag ${tag})`, node);
    return node.items as (Node | null)[];
  }

  /**
   * PyYAML's flatten_mapping: the entries of merged mappings (`<<: *a` or `<<: [*a, *b]`) come
   * first, then the mapping's own. A merged key is skipped when PyYAML considers it already
   * merged, which it decides by the identity of the key's Python string: the same key node, or
   * one of CPython's shared strings (empty, or one character below U+0100). Later entries win.
   */
  private flatten(node: Node): Pair[] {
    const done = this.flattened.get(node);
    if (done) return done;
    if (!isMap(node)) return this.fail(`expected a mapping node, but found ${kindOf(node)}`, node);
    // a mapping that merges itself gets its own entries (PyYAML has removed the merge key by then)
    if (this.flattening.has(node))
      return node.items.filter((p) => this.tagOf(this.deref(p.key as Node | null) ?? node) !== TAG.merge);
    this.flattening.add(node);
    const merged: Pair[] = [];
    const own: Pair[] = [];
    const mergedIds = new Set<unknown>();
    const mergeFrom = (source: Node) => {
      for (const pair of this.flatten(source)) {
        const id = this.keyIdentity(pair.key as Node | null);
        if (mergedIds.has(id)) continue;
        mergedIds.add(id);
        merged.push(pair);
      }
    };
    for (const pair of node.items) {
      const key = this.deref(pair.key as Node | null);
      if (!key || this.tagOf(key) !== TAG.merge) {
        if (key && this.tagOf(key) === TAG.value) this.valueKeys.add(key);
        own.push(pair);
        continue;
      }
      const value = this.deref(pair.value as Node | null);
      if (value && isMap(value)) mergeFrom(value);
      else if (value && isSeq(value)) {
        for (const item of value.items) {
          const source = this.deref(item as Node | null);
          if (!source || !isMap(source))
            this.fail(
              `expected a mapping for merging, but found ${source ? kindOf(source) : 'scalar'}`,
              item as Node,
            );
          mergeFrom(source);
        }
      } else
        this.fail(
          `expected a mapping or list of mappings for merging, but found ${value ? kindOf(value) : 'scalar'}`,
          value ?? key,
        );
    }
    const all = [...merged, ...own];
    this.flattening.delete(node);
    this.flattened.set(node, all);
    return all;
  }

  private keyIdentity(input: Node | null): unknown {
    const node = this.deref(input);
    if (node && isScalar(node)) {
      const raw = this.source(node);
      if (raw.length === 0 || (raw.length === 1 && raw.charCodeAt(0) < 0x100)) return `shared:${raw}`;
    }
    return node;
  }

  /** The constructed (key, value) entries of a mapping node, duplicates resolved as a Python dict does. */
  private entries(node: Node): [unknown, unknown][] {
    const own = new Set(isMap(node) ? node.items : []);
    const byKey = new Map<string, { index: number; written: Node; own: boolean }>();
    const out: [unknown, unknown][] = [];
    for (const pair of this.flatten(node)) {
      const written = pair.key as Node | null;
      const keyNode = this.deref(written);
      this.keyDepth += 1;
      let key: unknown;
      try {
        key = this.construct(written);
      } finally {
        this.keyDepth -= 1;
      }
      const hash = this.hashKey(key, keyNode, written ?? node);
      const value = this.construct(pair.value as Node | null);
      const seen = byKey.get(hash);
      if (!seen) {
        byKey.set(hash, { index: out.length, written: written ?? node, own: own.has(pair) });
        out.push([key, value]);
        continue;
      }
      out[seen.index]![1] = value;
      if (seen.own && own.has(pair))
        this.options.onDuplicateKey?.(plainKey(key), seen.written, written ?? node);
      seen.written = written ?? node;
      seen.own = own.has(pair);
    }
    return out;
  }

  private mapping(node: Node): unknown {
    if (this.options.exactTypes) {
      const map = this.created(node, new Map<unknown, unknown>());
      for (const [key, value] of this.entries(node)) map.set(key, value);
      return map;
    }
    const out = this.created<Record<string, unknown>>(node, {});
    for (const [key, value] of this.entries(node)) {
      const name = plainKey(key);
      if (name === '__proto__')
        Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
      else out[name] = value;
    }
    return out;
  }

  /** Python dict equality: 1 == 1.0 == True, aware datetimes by instant, NaN only by identity. */
  private hashKey(key: unknown, node: Node | null, written: Node): string {
    if (key === null) return 'None';
    if (typeof key === 'string') return `s:${key}`;
    if (typeof key === 'boolean') return `n:${key ? 1 : 0}`;
    if (typeof key === 'bigint') return `n:${key}`;
    const num = key instanceof PyFloat ? key.value : typeof key === 'number' ? key : undefined;
    if (num !== undefined) {
      if (Number.isNaN(num)) {
        // '.nan' is one shared float object in PyYAML; float('nan') is a new one each time
        const text = node && isScalar(node) ? String(node.value).replaceAll('_', '').toLowerCase() : '';
        return /^[-+]?\.nan$/.test(text) ? 'nan:shared' : `nan:${this.identity(node ?? written)}`;
      }
      if (!Number.isFinite(num)) return `n:${num}`;
      return Number.isInteger(num) ? `n:${BigInt(num)}` : `n:${num}`;
    }
    if (key instanceof YamlTimestamp) {
      if (key.dateOnly) return `d:${key.toJSON()}`;
      return key.offsetMinutes === undefined ? `dn:${key.toJSON()}` : `da:${key.getTime()}:${key.parts[6]}`;
    }
    if (key instanceof Uint8Array) return `b:${Buffer.from(key).toString('base64')}`;
    if (Array.isArray(key) && node && isSeq(node) && this.tagOf(node) === `${PY}tuple`) {
      const items = key.map((k, i) => this.hashKey(k, this.deref(node.items[i] as Node | null), written));
      return `t:${JSON.stringify(items)}`;
    }
    return this.fail('found unhashable key', written);
  }

  private identity(node: Node): number {
    let id = this.identities.get(node);
    if (id === undefined) {
      id = this.identities.size;
      this.identities.set(node, id);
    }
    return id;
  }
}

/** How a non-string key reads as an option name (JSON's key rules: 1, true, null). */
function plainKey(key: unknown): string {
  if (typeof key === 'string') return key;
  if (key === null) return 'null';
  if (key instanceof PyFloat) return String(key.value);
  if (Array.isArray(key)) return key.map(plainKey).join(',');
  if (key instanceof Uint8Array) return Buffer.from(key).toString('latin1');
  return String(key);
}

function containsCycle(root: unknown): boolean {
  const onPath = new Set<object>();
  const done = new Set<object>();
  const visit = (value: unknown): boolean => {
    if (value === null || typeof value !== 'object' || value instanceof Date || value instanceof Uint8Array)
      return false;
    if (onPath.has(value)) return true;
    if (done.has(value)) return false;
    onPath.add(value);
    const children =
      value instanceof Map
        ? [...value.keys(), ...value.values()]
        : value instanceof Set
          ? [...value]
          : Object.values(value);
    const found = children.some(visit);
    onPath.delete(value);
    done.add(value);
    return found;
  };
  return visit(root);
}
