import { describe, expect, it } from 'vitest';
import { analyze } from '../../../src/query/memory/analysis.ts';
import { DEFAULT_DATE_FORMATS, parseDateMath } from '../../../src/query/memory/dates.ts';
import { DocSet } from '../../../src/query/memory/doc-set.ts';
import { detectsAsDate } from '../../../src/query/memory/field-mapping.ts';
import { type QueryFactory, parseQueryString } from '../../../src/query/lucene-syntax.ts';
import { normalizeWildcard } from '../../../src/query/memory/lucene-eval.ts';
import {
  compareTerms,
  editDistance,
  fuzzyTerms,
  regexpMatcher,
  wildcardMatcher,
} from '../../../src/query/term-matchers.ts';

const terms = (text: string) => analyze(text).map((t) => t.term);

describe('the standard analyzer', () => {
  it.each([
    ['Back-off restarting failed container api', ['back', 'off', 'restarting', 'failed', 'container', 'api']],
    [
      'Pulling image "registry.example.com/shop/api:1.15.0-rc2"',
      ['pulling', 'image', 'registry.example.com', 'shop', 'api', '1.15.0', 'rc2'],
    ],
    ['registry.k8s.io/coredns/coredns:v1.11.1', ['registry.k8s.io', 'coredns', 'coredns:v1.11.1']],
    ['pod api-7c9d_prod(3f2a-11)', ['pod', 'api', '7c9d_prod', '3f2a', '11']],
    ["pod didn't trigger scale-up: 2 max", ['pod', "didn't", 'trigger', 'scale', 'up', '2', 'max']],
    ['0/6 nodes: 1,000.5 units; a.1 b..c', ['0', '6', 'nodes', '1,000.5', 'units', 'a', '1', 'b', 'c']],
    ['NodeNotReady ÉCOLE Ünïcode', ['nodenotready', 'école', 'ünïcode']],
    ['日本語テキスト', ['日', '本', '語', 'テキスト']],
    ['emoji 😀 ok', ['emoji', '😀', 'ok']],
    ['', []],
  ])('%s', (text, expected) => {
    expect(terms(text)).toEqual(expected);
  });

  it('numbers positions, splitting tokens longer than 255 characters', () => {
    expect(analyze('a b').map((t) => t.position)).toEqual([0, 1]);
    expect(terms('x'.repeat(300)).map((t) => t.length)).toEqual([255, 45]);
  });
});

describe('dates', () => {
  const ctx = { formats: DEFAULT_DATE_FORMATS, now: Date.parse('2024-05-14T10:20:30.400Z') };
  const iso = (v: string, roundUp = false, timeZone?: string) =>
    new Date(parseDateMath(v, roundUp, { ...ctx, timeZone })).toISOString();

  it('reads ISO dates of any precision, rounding what is missing up for upper bounds', () => {
    expect(iso('2024-05-14T01:02:03.456Z')).toBe('2024-05-14T01:02:03.456Z');
    expect(iso('2024-05-14T01:02:03+02:00')).toBe('2024-05-13T23:02:03.000Z');
    expect(iso('2024-05-14T01', true)).toBe('2024-05-14T01:59:59.999Z');
    expect(iso('2024-05-14', true)).toBe('2024-05-14T23:59:59.999Z');
    // as Elasticsearch: a missing month or day is filled with 1, not rounded up
    expect(iso('2024-05', true)).toBe('2024-05-01T23:59:59.999Z');
    expect(iso('2024-05-14T01:00', false, '+01:00')).toBe('2024-05-14T00:00:00.000Z');
    expect(iso('1715648400000')).toBe('2024-05-14T01:00:00.000Z');
  });

  it('does date math', () => {
    expect(iso('now')).toBe('2024-05-14T10:20:30.400Z');
    expect(iso('now-1h/d')).toBe('2024-05-14T00:00:00.000Z');
    expect(iso('now/d', true)).toBe('2024-05-14T23:59:59.999Z');
    expect(iso('2024-05-14||+1M-2d')).toBe('2024-06-12T00:00:00.000Z');
    expect(iso('2024-05-14T10:00:00Z||/w')).toBe('2024-05-13T00:00:00.000Z');
  });

  it('rejects what is not a date', () => {
    expect(() => parseDateMath('yesterday', false, ctx)).toThrow(/failed to parse date/);
    expect(() => parseDateMath('2024-13-01', false, ctx)).toThrow(/failed to parse date/);
  });

  it('detects dates in documents as dynamic mapping does', () => {
    expect(detectsAsDate('2024-05-14T01:02:03Z')).toBe(true);
    expect(detectsAsDate('2024-05-14')).toBe(true);
    expect(detectsAsDate('2024')).toBe(false);
    expect(detectsAsDate('not-a-date')).toBe(false);
  });
});

describe('term matchers', () => {
  it('wildcards', () => {
    expect(wildcardMatcher('back*')('backoff')).toBe(true);
    expect(wildcardMatcher('b?ck')('back')).toBe(true);
    expect(wildcardMatcher('a\\*b')('a*b')).toBe(true);
    expect(wildcardMatcher('a\\*b')('axb')).toBe(false);
    expect(normalizeWildcard('Back\\*Off*')).toBe('back\\*off*');
  });

  it('Lucene regular expressions: anchored, with @ # & ~ <n-m> and "literals"', () => {
    const m = (re: string, s: string) => regexpMatcher(re)(s);
    expect(m('back.*', 'backoff')).toBe(true);
    expect(m('ack', 'backoff')).toBe(false);
    expect(m('node-[0-9]+', 'node-12')).toBe(true);
    expect(m('(ab|cd){2}', 'abcd')).toBe(true);
    expect(m('@', 'anything')).toBe(true);
    expect(m('#', '')).toBe(false);
    expect(m('a.*&.*z', 'abcz')).toBe(true);
    expect(m('a.*&.*z', 'abc')).toBe(false);
    expect(m('~(foo)', 'bar')).toBe(true);
    expect(m('~(foo)', 'foo')).toBe(false);
    expect(m('v<1-10>', 'v7')).toBe(true);
    expect(m('v<1-10>', 'v11')).toBe(false);
    expect(m('<01-10>', '07')).toBe(true);
    expect(m('<01-10>', '7')).toBe(false);
    expect(m('"a.b"c', 'a.bc')).toBe(true);
    expect(m('\\d+\\.\\d', '12.5')).toBe(true);
    expect(() => regexpMatcher('(unclosed')).toThrow(/invalid regular expression/);
  });

  it('fuzzy: edits with transpositions, Lucene similarity order, max expansions', () => {
    const cp = (s: string) => [...s].map((c) => c.codePointAt(0)!);
    expect(editDistance(cp('backoff'), cp('bakcoff'), 2)).toBe(1);
    expect(editDistance(cp('backoff'), cp('bakcoff'), 2, false)).toBe(2);
    expect(editDistance(cp('abc'), cp('xyzabc'), 2)).toBe(3);
    const o = { maxEdits: 2, prefixLength: 0, transpositions: true, maxExpansions: 2 };
    // node: exact (1.0); nodes, mode, code: one edit over 4 letters (0.75), ties by term order; nod: 1 - 1/3
    expect(fuzzyTerms('node', ['nodes', 'node', 'mode', 'nod', 'code'], o)).toEqual(['node', 'code']);
    expect(fuzzyTerms('node', ['nodes', 'node', 'mode', 'nod', 'code'], { ...o, maxExpansions: 50 })).toEqual(
      ['node', 'code', 'mode', 'nodes', 'nod'],
    );
  });

  it('orders terms by code point, as Lucene', () => {
    expect(compareTerms('a', 'b')).toBeLessThan(0);
    expect(compareTerms('\uffff', '😀')).toBeLessThan(0);
    expect('\uffff' < '😀').toBe(false);
  });
});

describe('the query_string grammar', () => {
  /** Renders what the parser builds, Lucene style: +must -must_not should, (groups), field:term. */
  const show: QueryFactory<string> = {
    fieldQuery: (f, t) => `${f}:${t.includes(' ') ? `{${t}}` : t}`,
    phraseQuery: (f, t, s) => `${f}:"${t}"${s >= 0 ? `~${s}` : ''}`,
    prefixQuery: (f, t) => `${f}:${t}*`,
    wildcardQuery: (f, t) => `${f}:W(${t})`,
    regexpQuery: (f, t) => `${f}:/${t}/`,
    fuzzyQuery: (f, t, s) => `${f}:${t}~${s}`,
    rangeQuery: (f, lo, hi, il, iu) => `${f}:${il ? '[' : '{'}${lo ?? '*'} TO ${hi ?? '*'}${iu ? ']' : '}'}`,
    booleanQuery: (clauses) =>
      `(${clauses.map((c) => (c.occur === 'must' ? '+' : c.occur === 'must_not' ? '-' : '') + c.q).join(' ')})`,
  };
  const parse = (q: string, op: 'OR' | 'AND' = 'OR') =>
    parseQueryString(q, show, { defaultField: 'd', defaultOperator: op });

  it.each([
    ['a', 'd:a'],
    ['a AND b OR c', '(+d:a +d:b d:c)'],
    ['a OR b AND c', '(d:a +d:b +d:c)'],
    ['a NOT b', '(d:a -d:b)'],
    ['NOT a', '(-d:a)'],
    ['a || NOT b', '(d:a -d:b)'],
    ['-(a b) +c', '(-d:{a b} +d:c)'],
    ['a b c:d', '(d:{a b} c:d)'],
    ['a b*', '(d:a d:b*)'],
    ['f:(a OR b) g:x', '((f:a f:b) g:x)'],
    ['foo~1 "a b"~2 bar~', '(d:foo~1 d:"a b"~2 d:bar~)'],
    ['x:[1 TO *} y:>=5 z:"q"', '(x:[1 TO *} y:>=5 z:"q")'],
    ['x:/a\\/b/ *:v a\\:b', '(x:/a\\/b/ *:v d:a:b)'],
    ['f*o ?x *', '(d:W(f*o) d:W(?x) d:W(*))'],
    ['a&&b a && b', '(d:a&&b +d:a +d:b)'],
    ['a - b', '(d:a d:- d:b)'],
  ])('%s', (query, expected) => {
    expect(parse(query)).toBe(expected);
  });

  it('with AND as default operator', () => {
    expect(parse('a b OR c', 'AND')).toBe('(+d:a d:b d:c)');
    expect(parse('a b c', 'AND')).toBe('d:{a b c}');
    expect(parse('a -b', 'AND')).toBe('(+d:a -d:b)');
  });

  it.each(['NOT NOT a', 'a AND', 'AND a', '(a', 'a)', 'f:', '"open', 'x:[1 TO', 'a^', 'a\\'])(
    'rejects %s',
    (query) => {
      expect(() => parse(query)).toThrow(/Failed to parse query/);
    },
  );
});

describe('document sets', () => {
  it('intersect, unite, subtract, complement and count', () => {
    const a = DocSet.of(70, [0, 5, 33, 69]);
    const b = DocSet.of(70, [5, 6, 69]);
    expect(a.clone().and(b).toArray()).toEqual([5, 69]);
    expect(a.clone().or(b).toArray()).toEqual([0, 5, 6, 33, 69]);
    expect(a.clone().andNot(b).toArray()).toEqual([0, 33]);
    expect(a.clone().not().count()).toBe(66);
    expect(DocSet.all(70).count()).toBe(70);
    expect(DocSet.empty(70).isEmpty()).toBe(true);
  });
});
