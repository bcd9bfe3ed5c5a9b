/**
 * The in-memory index: per field, what Lucene keeps for it — a term dictionary with postings and
 * positions (text), terms and doc values (keyword, boolean), numeric doc values (long, float,
 * double, date), and which documents have the field (for exists).
 */
import { POSITION_INCREMENT_GAP, analyze } from './analysis.ts';
import { parseDocumentDate } from './dates.ts';
import { DocSet } from './doc-set.ts';
import type { FieldSpec, Mapping } from './field-mapping.ts';

export interface IndexedDoc {
  _id: string;
  _index: string | undefined;
  _source: Record<string, unknown>;
}

/** Doc values of one document: none, one, or several (ordinals for terms, numbers otherwise). */
class DocValues {
  /** -1: no value; -2: several (see `multi`); else the single value (ordinal or number bits via `nums`). */
  private readonly state: Uint8Array;
  private readonly single: Float64Array;
  private readonly multi = new Map<number, number[]>();

  constructor(size: number) {
    this.state = new Uint8Array(size);
    this.single = new Float64Array(size);
  }

  add(doc: number, value: number): void {
    const s = this.state[doc]!;
    if (s === 0) {
      this.state[doc] = 1;
      this.single[doc] = value;
    } else if (s === 1) {
      this.state[doc] = 2;
      this.multi.set(doc, [this.single[doc]!, value]);
    } else {
      this.multi.get(doc)!.push(value);
    }
  }

  /** The values of a document (empty when it has none). */
  get(doc: number): readonly number[] {
    const s = this.state[doc]!;
    if (s === 0) return EMPTY;
    if (s === 1) return [this.single[doc]!];
    return this.multi.get(doc)!;
  }

  /** Calls fn for every (doc, value) pair. */
  forEach(fn: (doc: number, value: number) => void): void {
    const { state, single } = this;
    for (let d = 0; d < state.length; d++) {
      const s = state[d]!;
      if (s === 1) fn(d, single[d]!);
      else if (s === 2) for (const v of this.multi.get(d)!) fn(d, v);
    }
  }
}

const EMPTY: readonly number[] = [];

export interface FieldIndex {
  spec: FieldSpec;
  exists: DocSet;
  /** text, keyword, boolean: the terms, by ordinal. */
  terms: string[];
  termOrd: Map<string, number>;
  /** Postings by term ordinal: ascending document ordinals. */
  postings: number[][];
  /** text: the tokens of every document, as term ordinals and positions. */
  tokens: TokenStore | undefined;
  /** keyword, boolean: term ordinals per document; numbers: values per document. */
  docValues: DocValues;
}

/** The tokens of document d are terms[start[d]..end[d]) at positions[start[d]..end[d]). */
export interface TokenStore {
  start: Int32Array;
  end: Int32Array;
  terms: Int32Array;
  positions: Int32Array;
}

export interface DocIndex {
  docs: IndexedDoc[];
  size: number;
  mapping: Mapping;
  fields: Map<string, FieldIndex>;
  all: DocSet;
  /** Documents by _id (several when ids repeat). */
  byId: Map<string, number[]>;
}

/** Converts a _source value to what a field of this type indexes; undefined when Elasticsearch would reject it. */
function toIndexed(spec: FieldSpec, value: unknown): string | number | undefined {
  switch (spec.type) {
    case 'text':
    case 'keyword': {
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return undefined;
    }
    case 'long':
    case 'float':
    case 'double': {
      const n =
        typeof value === 'number'
          ? value
          : typeof value === 'string' && value.trim() !== ''
            ? Number(value)
            : NaN;
      if (!Number.isFinite(n)) return undefined;
      return spec.type === 'long' ? Math.trunc(n) : spec.type === 'float' ? Math.fround(n) : n;
    }
    case 'date':
      return parseDocumentDate(value, spec.formats ?? []);
    case 'boolean':
      if (value === true || value === 'true') return 1;
      if (value === false || value === 'false' || value === '') return 0;
      return undefined;
  }
}

class FieldBuilder {
  readonly spec: FieldSpec;
  readonly exists: DocSet;
  readonly terms: string[] = [];
  readonly termOrd = new Map<string, number>();
  readonly postings: number[][] = [];
  readonly docValues: DocValues;
  // text: flat token storage, and the analysis of values already seen (term ordinal, position pairs)
  private readonly tokStart: Int32Array | undefined;
  private readonly tokEnd: Int32Array | undefined;
  private tokTerms: number[] = [];
  private tokPositions: number[] = [];
  private lastDoc = -1;
  private nextPosition = 0;
  private readonly analyzed = new Map<string, Int32Array>();

  constructor(spec: FieldSpec, size: number) {
    this.spec = spec;
    this.exists = DocSet.empty(size);
    this.docValues = new DocValues(size);
    if (spec.type === 'text') {
      this.tokStart = new Int32Array(size);
      this.tokEnd = new Int32Array(size);
    }
  }

  private ord(term: string): number {
    let o = this.termOrd.get(term);
    if (o === undefined) {
      o = this.terms.length;
      this.terms.push(term);
      this.termOrd.set(term, o);
      this.postings.push([]);
    }
    return o;
  }

  private post(doc: number, ord: number): void {
    const p = this.postings[ord]!;
    if (p[p.length - 1] !== doc) p.push(doc);
  }

  /** Term ordinals and relative positions of a text value, interleaved. */
  private analyzeValue(text: string): Int32Array {
    let pairs = this.analyzed.get(text);
    if (!pairs) {
      const tokens = analyze(text);
      pairs = new Int32Array(tokens.length * 2);
      tokens.forEach((t, i) => {
        pairs![2 * i] = this.ord(t.term);
        pairs![2 * i + 1] = t.position;
      });
      if (this.analyzed.size >= 20_000) this.analyzed.clear();
      this.analyzed.set(text, pairs);
    }
    return pairs;
  }

  add(doc: number, value: unknown): void {
    const v = toIndexed(this.spec, value);
    if (v === undefined) return;
    switch (this.spec.type) {
      case 'text': {
        if (this.lastDoc !== doc) {
          this.lastDoc = doc;
          this.nextPosition = 0;
          this.tokStart![doc] = this.tokTerms.length;
        } else {
          this.nextPosition += POSITION_INCREMENT_GAP;
        }
        const pairs = this.analyzeValue(v as string);
        let last = this.nextPosition - 1;
        for (let i = 0; i < pairs.length; i += 2) {
          const o = pairs[i]!;
          this.post(doc, o);
          last = this.nextPosition + pairs[i + 1]!;
          this.tokTerms.push(o);
          this.tokPositions.push(last);
        }
        this.nextPosition = last + 1;
        this.tokEnd![doc] = this.tokTerms.length;
        this.exists.add(doc);
        return;
      }
      case 'keyword': {
        const s = v as string;
        if (this.spec.ignoreAbove !== undefined && s.length > this.spec.ignoreAbove) return;
        const o = this.ord(s);
        this.post(doc, o);
        this.docValues.add(doc, o);
        this.exists.add(doc);
        return;
      }
      case 'boolean': {
        const o = this.ord(v === 1 ? 'true' : 'false');
        this.post(doc, o);
        this.docValues.add(doc, v as number);
        this.exists.add(doc);
        return;
      }
      default:
        this.docValues.add(doc, v as number);
        this.exists.add(doc);
    }
  }

  build(): FieldIndex {
    const tokens = this.tokStart
      ? {
          start: this.tokStart,
          end: this.tokEnd!,
          terms: Int32Array.from(this.tokTerms),
          positions: Int32Array.from(this.tokPositions),
        }
      : undefined;
    this.tokTerms = [];
    this.tokPositions = [];
    this.analyzed.clear();
    return {
      spec: this.spec,
      exists: this.exists,
      terms: this.terms,
      termOrd: this.termOrd,
      postings: this.postings,
      tokens,
      docValues: this.docValues,
    };
  }
}

/** Field builders by _source path, as a tree following the document's objects. */
interface PathNode {
  builders: FieldBuilder[];
  children: Map<string, PathNode>;
}

function pathTree(builders: FieldBuilder[]): PathNode {
  const root: PathNode = { builders: [], children: new Map() };
  for (const b of builders) {
    let node = root;
    for (const part of b.spec.source.split('.')) {
      let next = node.children.get(part);
      if (!next) {
        next = { builders: [], children: new Map() };
        node.children.set(part, next);
      }
      node = next;
    }
    node.builders.push(b);
  }
  return root;
}

/** Feeds every value of a document to the builders of its path (arrays flattened, nulls skipped, dotted keys as paths). */
function feed(node: PathNode, value: unknown, doc: number): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    for (const v of value) feed(node, v, doc);
  } else if (typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      let child = node.children.get(key);
      if (!child && key.includes('.')) {
        child = node;
        for (const part of key.split('.')) {
          child = child.children.get(part);
          if (!child) break;
        }
      }
      if (child) feed(child, v, doc);
    }
  } else {
    for (const b of node.builders) b.add(doc, value);
  }
}

export function buildIndex(docs: IndexedDoc[], mapping: Mapping): DocIndex {
  const size = docs.length;
  const builders = [...mapping.fields.values()].map((spec) => new FieldBuilder(spec, size));
  const tree = pathTree(builders);
  // _id and _index are searchable like keyword fields (an _index only where the document names one)
  const idField = new FieldBuilder({ name: '_id', type: 'keyword', source: '_id' }, size);
  const indexField = new FieldBuilder({ name: '_index', type: 'keyword', source: '_index' }, size);
  const byId = new Map<string, number[]>();
  docs.forEach((d, doc) => {
    const same = byId.get(d._id);
    if (same) same.push(doc);
    else byId.set(d._id, [doc]);
    idField.add(doc, d._id);
    if (d._index !== undefined) indexField.add(doc, d._index);
    feed(tree, d._source, doc);
  });
  const fields = new Map<string, FieldIndex>();
  for (const b of builders) fields.set(b.spec.name, b.build());
  fields.set('_id', idField.build());
  fields.set('_index', indexField.build());
  return { docs, size, mapping, fields, all: DocSet.all(size), byId };
}
