/**
 * The query_string syntax, parsed as Lucene's classic QueryParser (QueryParser.jj) does, which is
 * what Elasticsearch runs: its tokens (longest match first), its clause grammar and its
 * `addClause` rules (`a AND b OR c` is `+a +b c`, not `(a AND b) OR c`), and, since Lucene 7, the
 * grouping of consecutive bare terms (`foo bar`) into one analyzed query text (splitOnWhitespace
 * false). The `lucene` package validates rules when they load; its tree is too loose to evaluate
 * (`foo~1`, `-(a b)`, `a || NOT b` and operator precedence come out differently), hence this.
 *
 * The parser calls a QueryFactory for every term, as Lucene calls getFieldQuery & co.
 */
import { EsalertError } from '../errors/esalert-error.ts';

type Kind =
  | 'AND'
  | 'OR'
  | 'NOT'
  | 'PLUS'
  | 'MINUS'
  | 'BAREOPER'
  | 'LPAREN'
  | 'RPAREN'
  | 'COLON'
  | 'STAR'
  | 'CARAT'
  | 'QUOTED'
  | 'TERM'
  | 'FUZZY_SLOP'
  | 'PREFIXTERM'
  | 'WILDTERM'
  | 'REGEXPTERM'
  | 'RANGEIN_START'
  | 'RANGEEX_START'
  | 'NUMBER'
  | 'RANGE_TO'
  | 'RANGEIN_END'
  | 'RANGEEX_END'
  | 'RANGE_QUOTED'
  | 'RANGE_GOOP'
  | 'EOF';

interface Tok {
  kind: Kind;
  image: string;
  offset: number;
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r', '\u3000']);
const NOT_TERM_START = new Set([
  ...WHITESPACE,
  '+',
  '-',
  '!',
  '(',
  ')',
  ':',
  '^',
  '[',
  ']',
  '"',
  '{',
  '}',
  '~',
  '*',
  '?',
  '\\',
  '/',
]);

export class QuerySyntaxError extends EsalertError {
  constructor(query: string, detail: string) {
    super('QUERY_SYNTAX', `Failed to parse query [${query}]: ${detail}`);
  }
}

/** Splits the query into tokens, following the lexical states DEFAULT, Range and Boost. */
function lex(q: string): Tok[] {
  const toks: Tok[] = [];
  let state: 'DEFAULT' | 'Range' | 'Boost' = 'DEFAULT';
  let i = 0;
  const fail = (what: string): never => {
    throw new QuerySyntaxError(q, `${what} at position ${i}`);
  };
  // length of a run of term characters (escapes included) from p; `start` for the first one
  const termChar = (p: number, start: boolean): number => {
    const c = q[p];
    if (c === undefined) return 0;
    if (c === '\\') {
      if (p + 1 >= q.length) return 0;
      return 1 + (q.codePointAt(p + 1)! > 0xffff ? 2 : 1);
    }
    if (!start && (c === '-' || c === '+')) return 1;
    if (NOT_TERM_START.has(c)) return 0;
    return q.codePointAt(p)! > 0xffff ? 2 : 1;
  };
  const termRun = (p: number, wild: boolean): number => {
    let n = 0;
    for (;;) {
      let step = termChar(p + n, false);
      if (!step && wild && (q[p + n] === '*' || q[p + n] === '?')) step = 1;
      if (!step) return n;
      n += step;
    }
  };
  while (i <= q.length) {
    if (state !== 'Boost') while (i < q.length && WHITESPACE.has(q[i]!)) i++;
    if (i >= q.length) break;
    const rest = q.slice(i);
    const cands: [Kind, number][] = [];
    if (state === 'Boost') {
      const m = /^\d+(\.\d+)?/.exec(rest);
      if (!m) throw new QuerySyntaxError(q, `expected a number after ^ at position ${i}`);
      toks.push({ kind: 'NUMBER', image: m[0], offset: i });
      i += m[0].length;
      state = 'DEFAULT';
      continue;
    }
    if (state === 'Range') {
      if (rest.startsWith('TO')) cands.push(['RANGE_TO', 2]);
      if (rest[0] === ']') cands.push(['RANGEIN_END', 1]);
      if (rest[0] === '}') cands.push(['RANGEEX_END', 1]);
      if (rest[0] === '"') {
        // "\"" (~["\""] | "\\\"")+ "\"": the longest such string
        let best = 0;
        for (let p = 1; p < rest.length; p++) {
          if (rest[p] === '\\' && rest[p + 1] === '"') {
            best = p + 2; // the quote may end the string (content ending with \) or be escaped
            p++;
          } else if (rest[p] === '"') {
            if (p > 1) best = Math.max(best, p + 1);
            break;
          }
        }
        if (best) cands.push(['RANGE_QUOTED', best]);
      }
      let g = 0;
      while (g < rest.length && rest[g] !== ' ' && rest[g] !== ']' && rest[g] !== '}') g++;
      if (g) cands.push(['RANGE_GOOP', g]);
    } else {
      const c = rest[0]!;
      if (rest.startsWith('AND')) cands.push(['AND', 3]);
      if (rest.startsWith('&&')) cands.push(['AND', 2]);
      if (rest.startsWith('OR')) cands.push(['OR', 2]);
      if (rest.startsWith('||')) cands.push(['OR', 2]);
      if (rest.startsWith('NOT')) cands.push(['NOT', 3]);
      if (c === '!') cands.push(['NOT', 1]);
      if (c === '+') cands.push(['PLUS', 1]);
      if (c === '-') cands.push(['MINUS', 1]);
      if ((c === '+' || c === '-' || c === '!') && rest.length > 1 && WHITESPACE.has(rest[1]!))
        cands.push(['BAREOPER', 2]);
      if (c === '(') cands.push(['LPAREN', 1]);
      if (c === ')') cands.push(['RPAREN', 1]);
      if (c === ':') cands.push(['COLON', 1]);
      if (c === '*') cands.push(['STAR', 1]);
      if (c === '^') cands.push(['CARAT', 1]);
      if (c === '"') {
        let p = 1;
        while (p < rest.length && rest[p] !== '"') p += rest[p] === '\\' ? 2 : 1;
        if (p < rest.length) cands.push(['QUOTED', p + 1]);
      }
      const startLen = termChar(i, true);
      if (startLen) {
        const n = startLen + termRun(i + startLen, false);
        cands.push(['TERM', n]);
        if (rest[n] === '*') cands.push(['PREFIXTERM', n + 1]);
      }
      if (c === '~') {
        const m = /^~(\d+(\.\d+)?)?/.exec(rest)!;
        cands.push(['FUZZY_SLOP', m[0].length + termRun(i + m[0].length, false)]);
      }
      if (c === '*') cands.push(['PREFIXTERM', 1]);
      if (startLen || c === '*' || c === '?') {
        const first = startLen || 1;
        cands.push(['WILDTERM', first + termRun(i + first, true)]);
      }
      if (c === '/') {
        // "/" (~["/"] | "\\/")* "/": the longest match
        let best = 0;
        let states = new Set(['body']);
        for (let p = 1; p < rest.length && states.size > 0; p++) {
          const ch = rest[p];
          const next = new Set<string>();
          for (const s of states) {
            if (s === 'body') {
              if (ch === '/') best = p + 1;
              else next.add('body');
              if (ch === '\\') next.add('escaped');
            } else if (ch === '/') next.add('body');
          }
          states = next;
        }
        if (best) cands.push(['REGEXPTERM', best]);
      }
      if (c === '[') cands.push(['RANGEIN_START', 1]);
      if (c === '{') cands.push(['RANGEEX_START', 1]);
    }
    if (cands.length === 0) fail(`lexical error: unexpected "${rest[0]}"`);
    // longest match; ties go to the token defined first (the order pushed above)
    let [kind, len] = cands[0]!;
    for (const [k, l] of cands) if (l > len) [kind, len] = [k, l];
    toks.push({ kind, image: q.slice(i, i + len), offset: i });
    i += len;
    if (kind === 'RANGEIN_START' || kind === 'RANGEEX_START') state = 'Range';
    else if (kind === 'RANGEIN_END' || kind === 'RANGEEX_END') state = 'DEFAULT';
    else if (kind === 'CARAT') state = 'Boost';
  }
  if (state === 'Boost') throw new QuerySyntaxError(q, 'expected a number after ^ at the end');
  toks.push({ kind: 'EOF', image: '', offset: q.length });
  return toks;
}

/** Lucene's discardEscapeChar: `\x` is x, `\uXXXX` a code unit. */
export function discardEscapeChar(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    if (i + 1 >= s.length) throw new Error('Term can not end with escape character.');
    if (s[i + 1] === 'u') {
      const hex = s.slice(i + 2, i + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new Error('Truncated unicode escape sequence.');
      out += String.fromCharCode(parseInt(hex, 16));
      i += 5;
    } else {
      const cp = s.codePointAt(i + 1)!;
      out += String.fromCodePoint(cp);
      i += cp > 0xffff ? 2 : 1;
    }
  }
  return out;
}

export type ClauseOccur = 'must' | 'should' | 'must_not';

/** What the parser asks for; null means "no query" (e.g. a term the analyzer removed entirely). */
export interface QueryFactory<Q> {
  /** Unquoted bare text (one term, or several consecutive bare terms joined by spaces). */
  fieldQuery(field: string | null, text: string): Q | null;
  phraseQuery(field: string | null, text: string, slop: number): Q | null;
  prefixQuery(field: string | null, text: string): Q | null;
  /** The raw image, escapes included. */
  wildcardQuery(field: string | null, image: string): Q | null;
  regexpQuery(field: string | null, regexp: string): Q | null;
  /** `slop` is the image after `~` ("" for a bare ~). */
  fuzzyQuery(field: string | null, text: string, slop: string): Q | null;
  rangeQuery(
    field: string | null,
    lower: string | null,
    upper: string | null,
    includeLower: boolean,
    includeUpper: boolean,
  ): Q | null;
  booleanQuery(clauses: { occur: ClauseOccur; q: Q }[]): Q | null;
}

const CONJ_NONE = 0;
const CONJ_AND = 1;
const CONJ_OR = 2;
const MOD_NONE = 0;
const MOD_NOT = 10;
const MOD_REQ = 11;

const CLAUSE_START = new Set<Kind>([
  'AND',
  'OR',
  'PLUS',
  'MINUS',
  'NOT',
  'TERM',
  'STAR',
  'PREFIXTERM',
  'WILDTERM',
  'REGEXPTERM',
  'NUMBER',
  'BAREOPER',
  'RANGEIN_START',
  'RANGEEX_START',
  'QUOTED',
  'LPAREN',
]);
const DISALLOWED_POST_MULTI_TERM = new Set<Kind>(['COLON', 'STAR', 'FUZZY_SLOP', 'CARAT', 'AND', 'OR']);

export interface ParseOptions {
  defaultField: string | null;
  defaultOperator: 'OR' | 'AND';
}

/** Parses `query` as Lucene's classic QueryParser, building the query with `factory`. */
export function parseQueryString<Q>(
  query: string,
  factory: QueryFactory<Q>,
  options: ParseOptions,
): Q | null {
  const toks = lex(query);
  let p = 0;
  const peek = (k = 0) => toks[Math.min(p + k, toks.length - 1)]!;
  const fail = (detail: string): never => {
    throw new QuerySyntaxError(query, detail);
  };
  const expect = (kind: Kind): Tok => {
    const t = peek();
    if (t.kind !== kind) {
      fail(
        t.kind === 'EOF'
          ? `Encountered "<EOF>" at the end, expected ${kind}`
          : `Encountered "${t.image}" at position ${t.offset}, expected ${kind}`,
      );
    }
    p++;
    return t;
  };
  const andOperator = options.defaultOperator === 'AND';
  const unescape = (s: string) => {
    try {
      return discardEscapeChar(s);
    } catch (err) {
      return fail((err as Error).message);
    }
  };

  type Clause = { occur: ClauseOccur; q: Q };

  const addClause = (clauses: Clause[], conj: number, mods: number, q: Q | null) => {
    if (clauses.length > 0 && conj === CONJ_AND) {
      const c = clauses[clauses.length - 1]!;
      if (c.occur !== 'must_not') c.occur = 'must';
    }
    if (clauses.length > 0 && andOperator && conj === CONJ_OR) {
      const c = clauses[clauses.length - 1]!;
      if (c.occur !== 'must_not') c.occur = 'should';
    }
    if (q === null) return;
    let required: boolean;
    let prohibited: boolean;
    if (!andOperator) {
      prohibited = mods === MOD_NOT;
      required = mods === MOD_REQ;
      if (conj === CONJ_AND && !prohibited) required = true;
    } else {
      prohibited = mods === MOD_NOT;
      required = !prohibited && conj !== CONJ_OR;
    }
    clauses.push({ occur: prohibited ? 'must_not' : required ? 'must' : 'should', q });
  };

  const isMultiTermStart = () =>
    peek().kind === 'TERM' && peek(1).kind === 'TERM' && !DISALLOWED_POST_MULTI_TERM.has(peek(2).kind);

  const multiTerm = (field: string | null, clauses: Clause[]): Q | null => {
    let text = expect('TERM').image;
    while (peek().kind === 'TERM' && !DISALLOWED_POST_MULTI_TERM.has(peek(1).kind)) {
      text += ' ' + expect('TERM').image;
    }
    const q = factory.fieldQuery(field, unescape(text));
    if (q !== null) clauses.push({ occur: andOperator ? 'must' : 'should', q });
    return q;
  };

  const modifiers = (): number => {
    const k = peek().kind;
    if (k === 'PLUS') {
      p++;
      return MOD_REQ;
    }
    if (k === 'MINUS' || k === 'NOT') {
      p++;
      return MOD_NOT;
    }
    return MOD_NONE;
  };

  const conjunction = (): number => {
    const k = peek().kind;
    if (k === 'AND') {
      p++;
      return CONJ_AND;
    }
    if (k === 'OR') {
      p++;
      return CONJ_OR;
    }
    return CONJ_NONE;
  };

  const boost = () => {
    if (peek().kind === 'CARAT') {
      p++;
      expect('NUMBER');
    }
  };

  const parseQuery = (field: string | null): Q | null => {
    const clauses: Clause[] = [];
    let firstQuery: Q | null = null;
    if (isMultiTermStart()) {
      firstQuery = multiTerm(field, clauses);
    } else {
      const mods = modifiers();
      const q = clause(field);
      addClause(clauses, CONJ_NONE, mods, q);
      if (mods === MOD_NONE) firstQuery = q;
    }
    for (;;) {
      if (isMultiTermStart()) {
        multiTerm(field, clauses);
      } else if (CLAUSE_START.has(peek().kind)) {
        const conj = conjunction();
        const mods = modifiers();
        const q = clause(field);
        addClause(clauses, conj, mods, q);
      } else break;
    }
    if (clauses.length === 1 && firstQuery !== null) return firstQuery;
    return clauses.length === 0 ? null : factory.booleanQuery(clauses);
  };

  const clause = (field: string | null): Q | null => {
    if (peek().kind === 'TERM' && peek(1).kind === 'COLON') {
      field = unescape(peek().image);
      p += 2;
    } else if (peek().kind === 'STAR' && peek(1).kind === 'COLON') {
      field = '*';
      p += 2;
    }
    if (peek().kind === 'LPAREN') {
      p++;
      const q = parseQuery(field);
      expect('RPAREN');
      boost();
      return q;
    }
    return term(field);
  };

  const slopAndBoost = (): Tok | undefined => {
    let fuzzy: Tok | undefined;
    if (peek().kind === 'CARAT') {
      boost();
      if (peek().kind === 'FUZZY_SLOP') fuzzy = toks[p++];
    } else if (peek().kind === 'FUZZY_SLOP') {
      fuzzy = toks[p++];
      boost();
    }
    return fuzzy;
  };

  const term = (field: string | null): Q | null => {
    const t = peek();
    switch (t.kind) {
      case 'TERM':
      case 'STAR':
      case 'PREFIXTERM':
      case 'WILDTERM':
      case 'REGEXPTERM':
      case 'NUMBER':
      case 'BAREOPER': {
        p++;
        const image = t.kind === 'BAREOPER' ? t.image.slice(0, 1) : t.image;
        const fuzzy = slopAndBoost();
        if (t.kind === 'STAR' || t.kind === 'WILDTERM') return factory.wildcardQuery(field, image);
        if (t.kind === 'PREFIXTERM') return factory.prefixQuery(field, unescape(image.slice(0, -1)));
        if (t.kind === 'REGEXPTERM') return factory.regexpQuery(field, image.slice(1, -1));
        if (fuzzy) return factory.fuzzyQuery(field, unescape(image), fuzzy.image.slice(1));
        return factory.fieldQuery(field, unescape(image));
      }
      case 'RANGEIN_START':
      case 'RANGEEX_START': {
        p++;
        const bound = (): { text: string | null } => {
          const b = peek();
          if (b.kind === 'RANGE_QUOTED') {
            p++;
            return { text: unescape(b.image.slice(1, -1)) };
          }
          if (b.kind === 'RANGE_GOOP' || b.kind === 'RANGE_TO') {
            p++;
            return { text: b.image === '*' ? null : unescape(b.image) };
          }
          return fail(`Encountered "${b.image || '<EOF>'}" in a range at position ${b.offset}`);
        };
        const lower = bound();
        expect('RANGE_TO');
        const upper = bound();
        const end = peek();
        if (end.kind !== 'RANGEIN_END' && end.kind !== 'RANGEEX_END') {
          fail(`Encountered "${end.image || '<EOF>'}" at position ${end.offset}, expected ] or }`);
        }
        p++;
        boost();
        return factory.rangeQuery(
          field,
          lower.text,
          upper.text,
          t.kind === 'RANGEIN_START',
          end.kind === 'RANGEIN_END',
        );
      }
      case 'QUOTED': {
        p++;
        const fuzzy = slopAndBoost();
        // Java's Float.parseFloat of what follows ~; anything else keeps the default phrase slop (-1 here)
        const slopText = fuzzy?.image.slice(1) ?? '';
        const slop = /^\d+(\.\d+)?$/.test(slopText) ? Math.trunc(Number(slopText)) : -1;
        return factory.phraseQuery(field, unescape(t.image.slice(1, -1)), slop);
      }
      default:
        return fail(
          t.kind === 'EOF'
            ? 'Encountered "<EOF>" at the end, expected a term'
            : `Encountered "${t.image}" at position ${t.offset}`,
        );
    }
  };

  if (peek().kind === 'EOF') return fail('Encountered "<EOF>" at the end, expected a term');
  const q = parseQuery(options.defaultField);
  if (peek().kind !== 'EOF') fail(`Encountered "${peek().image}" at position ${peek().offset}`);
  return q;
}
