/**
 * Matching whole terms as Lucene's multi-term queries do: wildcard patterns (`*`, `?`, `\`
 * escapes), Lucene regular expressions (not JavaScript's: anchored, `@` any string, `#` empty,
 * `&` intersection, `~` complement, `<1-100>` numeric intervals, `"..."` literals), and fuzzy
 * matching (Damerau-Levenshtein with transpositions, as FuzzyQuery).
 */
import { FieldQueryError } from './field-query-error.ts';
import { escapeRegExp } from '../util/escape-regexp.ts';

export type TermMatcher = (term: string) => boolean;

/** A wildcard pattern (`*` any characters, `?` one character, `\` escapes the next one). */
export function wildcardMatcher(pattern: string, caseInsensitive = false): TermMatcher {
  let src = '';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\\' && i + 1 < chars.length) src += escapeRegExp(chars[++i]!);
    else if (c === '*') src += '[\\s\\S]*';
    else if (c === '?') src += '[\\s\\S]';
    else src += escapeRegExp(c);
  }
  const re = new RegExp(`^${src}$`, caseInsensitive ? 'iu' : 'u');
  return (term) => re.test(term);
}

// ---------------------------------------------------------------------------------------------
// Lucene regular expressions

type Rx =
  | { k: 'chars'; test: (cp: number) => boolean }
  | { k: 'string'; cps: number[] }
  | { k: 'concat'; parts: Rx[] }
  | { k: 'union'; alts: Rx[] }
  | { k: 'inter'; a: Rx; b: Rx }
  | { k: 'repeat'; e: Rx; min: number; max: number }
  | { k: 'complement'; e: Rx }
  | { k: 'any' }
  | { k: 'empty' }
  | { k: 'interval'; min: number; max: number; digits: number };

class RegexpParser {
  private readonly cps: number[];
  private pos = 0;
  private readonly source: string;

  constructor(source: string) {
    this.source = source;
    this.cps = [...source].map((c) => c.codePointAt(0)!);
  }

  private fail(what: string): never {
    throw new FieldQueryError(`invalid regular expression /${this.source}/: ${what} at position ${this.pos}`);
  }

  private peek(ch: string): boolean {
    return this.pos < this.cps.length && this.cps[this.pos] === ch.codePointAt(0);
  }

  private match(ch: string): boolean {
    if (this.peek(ch)) {
      this.pos++;
      return true;
    }
    return false;
  }

  private more(): boolean {
    return this.pos < this.cps.length;
  }

  parse(): Rx {
    const e = this.union();
    if (this.more()) this.fail('unexpected character');
    return e;
  }

  private union(): Rx {
    const alts = [this.inter()];
    while (this.match('|')) alts.push(this.inter());
    return alts.length === 1 ? alts[0]! : { k: 'union', alts };
  }

  private inter(): Rx {
    const a = this.concat();
    if (this.match('&')) return { k: 'inter', a, b: this.inter() };
    return a;
  }

  private concat(): Rx {
    const parts: Rx[] = [];
    while (this.more() && !this.peek(')') && !this.peek('|') && !this.peek('&')) parts.push(this.repeat());
    if (parts.length === 1) return parts[0]!;
    return { k: 'concat', parts };
  }

  private repeat(): Rx {
    let e = this.complement();
    for (;;) {
      if (this.match('?')) e = { k: 'repeat', e, min: 0, max: 1 };
      else if (this.match('*')) e = { k: 'repeat', e, min: 0, max: Infinity };
      else if (this.match('+')) e = { k: 'repeat', e, min: 1, max: Infinity };
      else if (this.peek('{')) {
        this.pos++;
        const n = this.number();
        let m = n;
        if (this.match(',')) m = this.peek('}') ? Infinity : this.number();
        if (!this.match('}')) this.fail('expected }');
        if (m < n) this.fail('invalid repeat range');
        e = { k: 'repeat', e, min: n, max: m };
      } else return e;
    }
  }

  private number(): number {
    const start = this.pos;
    while (this.more() && this.cps[this.pos]! >= 0x30 && this.cps[this.pos]! <= 0x39) this.pos++;
    if (start === this.pos) this.fail('expected a number');
    return Number(String.fromCodePoint(...this.cps.slice(start, this.pos)));
  }

  private complement(): Rx {
    if (this.match('~')) return { k: 'complement', e: this.complement() };
    return this.charClassOrSimple();
  }

  private charClassOrSimple(): Rx {
    if (this.match('[')) {
      const negate = this.match('^');
      const tests: ((cp: number) => boolean)[] = [];
      while (this.more() && !this.peek(']')) tests.push(this.classItem());
      if (!this.match(']')) this.fail('expected ]');
      if (tests.length === 0) this.fail('empty character class');
      return { k: 'chars', test: (cp) => tests.some((t) => t(cp)) !== negate };
    }
    return this.simple();
  }

  private classItem(): (cp: number) => boolean {
    const shorthand = this.shorthand();
    if (shorthand) return shorthand;
    const from = this.charexp();
    if (this.peek('-') && this.cps[this.pos + 1] !== ']'.codePointAt(0)) {
      this.pos++;
      const to = this.charexp();
      if (to < from) this.fail('invalid character range');
      return (cp) => cp >= from && cp <= to;
    }
    return (cp) => cp === from;
  }

  private shorthand(): ((cp: number) => boolean) | undefined {
    if (!this.peek('\\') || this.pos + 1 >= this.cps.length) return undefined;
    const c = String.fromCodePoint(this.cps[this.pos + 1]!);
    const tests: Record<string, (cp: number) => boolean> = {
      d: (cp) => cp >= 0x30 && cp <= 0x39,
      s: (cp) => [0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d].includes(cp),
      w: (cp) =>
        (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) || cp === 0x5f,
    };
    const lower = c.toLowerCase();
    const t = tests[lower];
    if (!t) return undefined;
    this.pos += 2;
    return c === lower ? t : (cp) => !t(cp);
  }

  private charexp(): number {
    if (!this.more()) this.fail('unexpected end');
    if (this.match('\\')) {
      if (!this.more()) this.fail('dangling escape');
    }
    return this.cps[this.pos++]!;
  }

  private simple(): Rx {
    const shorthand = this.shorthand();
    if (shorthand) return { k: 'chars', test: shorthand };
    if (this.match('.')) return { k: 'chars', test: () => true };
    if (this.match('#')) return { k: 'empty' };
    if (this.match('@')) return { k: 'any' };
    if (this.match('"')) {
      const cps: number[] = [];
      while (this.more() && !this.peek('"')) cps.push(this.cps[this.pos++]!);
      if (!this.match('"')) this.fail('expected "');
      return { k: 'string', cps };
    }
    if (this.match('(')) {
      if (this.match(')')) return { k: 'string', cps: [] };
      const e = this.union();
      if (!this.match(')')) this.fail('expected )');
      return e;
    }
    if (this.match('<')) {
      const start = this.pos;
      while (this.more() && !this.peek('>')) this.pos++;
      const body = String.fromCodePoint(...this.cps.slice(start, this.pos));
      if (!this.match('>')) this.fail('expected >');
      const m = /^(\d+)-(\d+)$/.exec(body);
      if (!m) this.fail(`named automata <${body}> are not supported`);
      let min = Number(m[1]);
      let max = Number(m[2]);
      if (min > max) [min, max] = [max, min];
      const digits = m[1]!.length === m[2]!.length ? m[1]!.length : 0;
      return { k: 'interval', min, max, digits };
    }
    if (
      this.peek(')') ||
      this.peek('|') ||
      this.peek('&') ||
      this.peek('*') ||
      this.peek('+') ||
      this.peek('?') ||
      this.peek('{')
    ) {
      this.fail('unexpected operator');
    }
    const cp = this.charexp();
    return { k: 'chars', test: (c) => c === cp };
  }
}

/** End positions reachable by matching `rx` on `s` from `start`. */
function ends(rx: Rx, s: number[], start: number): Set<number> {
  switch (rx.k) {
    case 'chars':
      return start < s.length && rx.test(s[start]!) ? new Set([start + 1]) : new Set();
    case 'string': {
      for (let i = 0; i < rx.cps.length; i++) if (s[start + i] !== rx.cps[i]) return new Set();
      return new Set([start + rx.cps.length]);
    }
    case 'concat': {
      let cur = new Set([start]);
      for (const p of rx.parts) {
        const next = new Set<number>();
        for (const e of cur) for (const x of ends(p, s, e)) next.add(x);
        cur = next;
        if (cur.size === 0) break;
      }
      return cur;
    }
    case 'union': {
      const out = new Set<number>();
      for (const a of rx.alts) for (const x of ends(a, s, start)) out.add(x);
      return out;
    }
    case 'inter': {
      const b = ends(rx.b, s, start);
      return new Set([...ends(rx.a, s, start)].filter((x) => b.has(x)));
    }
    case 'repeat': {
      const out = new Set<number>();
      let frontier = new Set([start]);
      const seen = new Set<number>();
      for (let n = 0; frontier.size > 0 && n <= Math.min(rx.max, s.length + rx.min + 1); n++) {
        if (n >= rx.min) for (const f of frontier) out.add(f);
        if (n === rx.max) break;
        const next = new Set<number>();
        for (const f of frontier) {
          for (const x of ends(rx.e, s, f)) {
            // positions seen after the minimum can only repeat what is already known
            if (n + 1 > rx.min && seen.has(x)) continue;
            next.add(x);
          }
        }
        if (n + 1 >= rx.min) for (const x of next) seen.add(x);
        frontier = next;
      }
      return out;
    }
    case 'complement': {
      const inner = ends(rx.e, s, start);
      const out = new Set<number>();
      for (let e = start; e <= s.length; e++) if (!inner.has(e)) out.add(e);
      return out;
    }
    case 'any': {
      const out = new Set<number>();
      for (let e = start; e <= s.length; e++) out.add(e);
      return out;
    }
    case 'empty':
      return new Set();
    case 'interval': {
      const out = new Set<number>();
      let value = 0n;
      for (let e = start; e < s.length && s[e]! >= 0x30 && s[e]! <= 0x39; e++) {
        value = value * 10n + BigInt(s[e]! - 0x30);
        const width = e - start + 1;
        if (rx.digits > 0 && width !== rx.digits) continue;
        if (value >= BigInt(rx.min) && value <= BigInt(rx.max)) out.add(e + 1);
      }
      return out;
    }
  }
}

/** A Lucene regular expression (the whole term must match). Throws FieldQueryError when it does not parse. */
export function regexpMatcher(pattern: string, caseInsensitive = false): TermMatcher {
  const rx = new RegexpParser(caseInsensitive ? pattern.toLowerCase() : pattern).parse();
  return (term) => {
    const cps = [...(caseInsensitive ? term.toLowerCase() : term)].map((c) => c.codePointAt(0)!);
    return ends(rx, cps, 0).has(cps.length);
  };
}

// ---------------------------------------------------------------------------------------------
// Fuzzy

/** Edits between a and b (optimal string alignment: insert, delete, substitute, transpose), or max+1 when over max. */
export function editDistance(a: number[], b: number[], max: number, transpositions = true): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = b.length;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = cur[0];
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (transpositions && i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, prev2[j - 2]! + 1);
      }
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n]!;
}

/** Elasticsearch's AUTO fuzziness: 0 edits up to 2 characters, 1 up to 5, else 2. */
export function autoFuzziness(term: string): number {
  const len = [...term].length;
  return len < 3 ? 0 : len < 6 ? 1 : 2;
}

export interface FuzzyOptions {
  maxEdits: number;
  prefixLength: number;
  transpositions: boolean;
  maxExpansions: number;
}

/**
 * The terms a FuzzyQuery expands to among `terms`: within maxEdits, sharing the prefix, then the
 * `maxExpansions` best by Lucene's similarity (1 - edits / shorter length), ties by term order.
 */
export function fuzzyTerms(query: string, terms: Iterable<string>, o: FuzzyOptions): string[] {
  const q = [...query].map((c) => c.codePointAt(0)!);
  const prefix = q.slice(0, o.prefixLength);
  const found: { term: string; boost: number; cps: number[] }[] = [];
  for (const term of terms) {
    const t = [...term].map((c) => c.codePointAt(0)!);
    if (prefix.some((c, i) => t[i] !== c)) continue;
    const ed = editDistance(q.slice(prefix.length), t.slice(prefix.length), o.maxEdits, o.transpositions);
    if (ed > o.maxEdits) continue;
    const shorter = Math.min(q.length, t.length);
    const boost = ed === 0 ? 1 : shorter === 0 ? 0 : 1 - ed / shorter;
    found.push({ term, boost, cps: t });
  }
  found.sort((a, b) => b.boost - a.boost || compareCodePoints(a.cps, b.cps));
  return found.slice(0, o.maxExpansions).map((f) => f.term);
}

function compareCodePoints(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Lucene's term order (UTF-8 bytes = code points), unlike JavaScript's UTF-16 order. */
export function compareTerms(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // surrogates (supplementary code points) sort above the rest of the BMP in code point order
      const sx = x >= 0xd800 && x <= 0xdfff;
      const sy = y >= 0xd800 && y <= 0xdfff;
      if (sx !== sy) return sx ? 1 : -1;
      return x - y;
    }
  }
  return a.length - b.length;
}
