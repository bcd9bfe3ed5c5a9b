/** A set of document ordinals as a bitset: the currency of query evaluation (like Lucene's DocIdSet). */
export class DocSet {
  readonly size: number;
  readonly words: Uint32Array;

  constructor(size: number, words?: Uint32Array) {
    this.size = size;
    this.words = words ?? new Uint32Array((size + 31) >>> 5);
  }

  static empty(size: number): DocSet {
    return new DocSet(size);
  }

  static all(size: number): DocSet {
    const s = new DocSet(size);
    s.words.fill(0xffffffff);
    s.clearTail();
    return s;
  }

  static of(size: number, docs: Iterable<number>): DocSet {
    const s = new DocSet(size);
    for (const d of docs) s.add(d);
    return s;
  }

  private clearTail(): void {
    const extra = this.size & 31;
    if (extra && this.words.length > 0) this.words[this.words.length - 1]! &= (1 << extra) - 1;
  }

  add(doc: number): void {
    this.words[doc >>> 5]! |= 1 << (doc & 31);
  }

  has(doc: number): boolean {
    return (this.words[doc >>> 5]! & (1 << (doc & 31))) !== 0;
  }

  clone(): DocSet {
    return new DocSet(this.size, this.words.slice());
  }

  /** In place: this ∩ other. */
  and(other: DocSet): this {
    const a = this.words;
    const b = other.words;
    for (let i = 0; i < a.length; i++) a[i]! &= b[i]!;
    return this;
  }

  /** In place: this ∪ other. */
  or(other: DocSet): this {
    const a = this.words;
    const b = other.words;
    for (let i = 0; i < a.length; i++) a[i]! |= b[i]!;
    return this;
  }

  /** In place: this \ other. */
  andNot(other: DocSet): this {
    const a = this.words;
    const b = other.words;
    for (let i = 0; i < a.length; i++) a[i]! &= ~b[i]!;
    return this;
  }

  /** In place: the complement within [0, size). */
  not(): this {
    const a = this.words;
    for (let i = 0; i < a.length; i++) a[i] = ~a[i]!;
    this.clearTail();
    return this;
  }

  count(): number {
    let n = 0;
    for (let w of this.words) {
      w = w - ((w >>> 1) & 0x55555555);
      w = (w & 0x33333333) + ((w >>> 2) & 0x33333333);
      n += (((w + (w >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
    }
    return n;
  }

  isEmpty(): boolean {
    for (const w of this.words) if (w !== 0) return false;
    return true;
  }

  /** Ordinals in ascending order. */
  *[Symbol.iterator](): Generator<number> {
    const words = this.words;
    for (let i = 0; i < words.length; i++) {
      let w = words[i]!;
      while (w !== 0) {
        const t = w & -w;
        yield (i << 5) + (31 - Math.clz32(t));
        w ^= t;
      }
    }
  }

  toArray(): number[] {
    return [...this];
  }
}
