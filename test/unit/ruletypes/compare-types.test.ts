/**
 * blacklist, whitelist and change. Cases marked "EA2" are ElastAlert 2's own tests
 * (tests/rules_test.py) with the same inputs and expected matches.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_RULE_TYPES } from '../../../src/ruletypes/registry.ts';
import { type Case, at, create, hits, run } from './support.ts';

const listEvents = [
  at('2014-09-26T12:34:56Z', { term: 'good' }),
  at('2014-09-26T12:34:57Z', { term: 'bad' }),
  at('2014-09-26T12:34:58Z', { term: 'also good' }),
  at('2014-09-26T12:34:59Z', { term: 'really bad' }),
  at('2014-09-26T12:35:00Z', { no_term: 'bad' }),
];

/** EA2 test_change's events: 10 hits of qlo/good/yes; #8 loses both terms, #9 turns bad/no. */
function changeEvents(username: unknown = 'qlo') {
  const e = hits(10, { username, term: 'good', second_term: 'yes' });
  delete e[8]!.term;
  delete e[8]!.second_term;
  e[9]!.term = 'bad';
  e[9]!.second_term = 'no';
  return e;
}
const changeBase = { compare_key: ['term', 'second_term'], query_key: 'username', ignore_null: true };

const cases: Case[] = [
  {
    name: 'EA2 test_blacklist',
    type: 'blacklist',
    options: { blacklist: ['bad', 'really bad'], compare_key: 'term' },
    steps: [{ data: listEvents }, { matches: 2, where: [{ term: 'bad' }, { term: 'really bad' }] }],
  },
  {
    name: 'blacklist: nested fields, exact text only (numbers and lists never equal text)',
    type: 'blacklist',
    options: { blacklist: ['OOMKilled', '137'], compare_key: 'event.reason' },
    steps: [
      {
        data: [
          at('2024-05-14T00:00:01Z', { event: { reason: 'OOMKilled' } }),
          at('2024-05-14T00:00:02Z', { event: { reason: 'oomkilled' } }),
          at('2024-05-14T00:00:03Z', { event: { reason: 137 } }),
          at('2024-05-14T00:00:04Z', { event: { reason: ['OOMKilled'] } }),
          at('2024-05-14T00:00:05Z', { 'event.reason': '137' }),
        ],
      },
      {
        matches: 2,
        where: [
          { event: { reason: 'OOMKilled' }, '@timestamp': '2024-05-14T00:00:01Z' },
          { 'event.reason': '137' },
        ],
      },
    ],
  },
  {
    name: 'EA2 test_whitelist',
    type: 'whitelist',
    options: { whitelist: ['good', 'also good'], compare_key: 'term', ignore_null: true },
    steps: [{ data: listEvents }, { matches: 2, where: [{ term: 'bad' }, { term: 'really bad' }] }],
  },
  {
    name: 'EA2 test_whitelist_dont_ignore_nulls',
    type: 'whitelist',
    options: { whitelist: ['good', 'also good'], compare_key: 'term', ignore_null: false },
    steps: [
      { data: listEvents },
      { matches: 3, where: [{ term: 'bad' }, { term: 'really bad' }, { no_term: 'bad' }] },
    ],
  },
  {
    name: 'whitelist: an empty string is a value, not a missing one',
    type: 'whitelist',
    options: { whitelist: ['prod'], compare_key: 'ns', ignore_null: true },
    steps: [
      { data: [at('2024-05-14T00:00:01Z', { ns: '' }), at('2024-05-14T00:00:02Z', { ns: 'prod' })] },
      { matches: 1, where: [{ ns: '' }] },
    ],
  },

  // change
  {
    name: 'EA2 test_change: ignore_null',
    type: 'change',
    queryKey: 'username',
    options: changeBase,
    steps: [
      { data: changeEvents() },
      {
        matches: 1,
        where: [
          {
            term: 'bad',
            second_term: 'no',
            old_value: ['good', 'yes'],
            new_value: ['bad', 'no'],
            '@timestamp': '2014-09-26T12:00:09Z',
          },
        ],
      },
    ],
  },
  {
    name: 'EA2 test_change: unhashable query key',
    type: 'change',
    queryKey: 'username',
    options: changeBase,
    steps: [
      {
        data: (() => {
          const e = hits(10, { username: ['qlo'], term: 'good', second_term: 'yes' });
          e[9]!.term = 'bad';
          e[9]!.second_term = 'no';
          return e;
        })(),
      },
      { matches: 1, where: [{ term: 'bad', second_term: 'no' }] },
    ],
  },
  {
    name: "EA2 test_change: don't ignore nulls",
    type: 'change',
    queryKey: 'username',
    options: { ...changeBase, ignore_null: false },
    steps: [
      { data: changeEvents() },
      {
        matches: 2,
        where: [
          { username: 'qlo', old_value: ['good', 'yes'], new_value: [null, null] },
          { term: 'bad', second_term: 'no', old_value: [null, null], new_value: ['bad', 'no'] },
        ],
      },
    ],
  },
  {
    name: 'EA2 test_change: with timeframe',
    type: 'change',
    queryKey: 'username',
    options: { ...changeBase, timeframe: { seconds: 2 } },
    steps: [{ data: changeEvents() }, { matches: 1, where: [{ term: 'bad', second_term: 'no' }] }],
  },
  {
    name: "EA2 test_change: with timeframe, doesn't match",
    type: 'change',
    queryKey: 'username',
    options: { ...changeBase, timeframe: { seconds: 1 } },
    steps: [{ data: changeEvents().filter((_, i) => i !== 8) }, { matches: 0 }],
  },
  {
    name: 'change: per query key value; the first document of a key never matches',
    type: 'change',
    queryKey: 'pod',
    options: { compare_key: 'type', query_key: 'pod', ignore_null: false },
    steps: [
      {
        data: [
          at('2024-05-14T00:00:01Z', { pod: 'a', type: 'Normal' }),
          at('2024-05-14T00:00:02Z', { pod: 'b', type: 'Warning' }),
          at('2024-05-14T00:00:03Z', { pod: 'a', type: 'Normal' }),
          at('2024-05-14T00:00:04Z', { pod: 'a', type: 'Warning' }),
          at('2024-05-14T00:00:05Z', { pod: 'b', type: 'Warning' }),
          at('2024-05-14T00:00:06Z', { pod: 'a', type: 'Normal' }),
        ],
      },
      {
        matches: 2,
        exact: [
          {
            '@timestamp': '2024-05-14T00:00:04Z',
            pod: 'a',
            type: 'Warning',
            old_value: ['Normal'],
            new_value: ['Warning'],
          },
          {
            '@timestamp': '2024-05-14T00:00:06Z',
            pod: 'a',
            type: 'Normal',
            old_value: ['Warning'],
            new_value: ['Normal'],
          },
        ],
      },
    ],
  },
  {
    name: "change: Python equality (1 == 1.0 == True), ignore_null keeps false but skips 0, '' and []",
    type: 'change',
    queryKey: 'k',
    options: { compare_key: 'v', query_key: 'k', ignore_null: true },
    steps: [
      {
        data: [
          at('2024-05-14T00:00:01Z', { k: 1, v: 1 }),
          at('2024-05-14T00:00:02Z', { k: 1, v: true }),
          at('2024-05-14T00:00:03Z', { k: 1, v: 0 }),
          at('2024-05-14T00:00:04Z', { k: 1, v: '' }),
          at('2024-05-14T00:00:05Z', { k: 1, v: [] }),
          at('2024-05-14T00:00:06Z', { k: 1, v: false }),
          at('2024-05-14T00:00:07Z', { k: 1, v: [1, 'a'] }),
          at('2024-05-14T00:00:08Z', { k: 1, v: [1, 'a'] }),
        ],
      },
      {
        matches: 2,
        where: [
          { v: false, old_value: [true] },
          { v: [1, 'a'], old_value: [false] },
        ],
      },
    ],
  },
];

describe('blacklist, whitelist, change', () => {
  it.each(cases)('$type: $name', (c) => {
    run(c);
  });

  it('filter_by_list adds ElastAlert 2 query_string filters (regexes unquoted)', () => {
    const bl = BUILTIN_RULE_TYPES.get('blacklist')!;
    const o = bl.options.parse({ compare_key: 'event.reason', blacklist: ['BackOff', '/Fail.*/'] });
    expect(bl.extraFilters!(o as never, {})).toEqual([
      { query_string: { query: 'event.reason:"BackOff" OR event.reason:/Fail.*/' } },
    ]);
    const off = bl.options.parse({ compare_key: 'x', blacklist: ['a'], filter_by_list: false });
    expect(bl.extraFilters!(off as never, {})).toEqual([]);
    const wl = BUILTIN_RULE_TYPES.get('whitelist')!;
    const w = wl.options.parse({ compare_key: 'ns', whitelist: ['prod', 'staging'], ignore_null: true });
    expect(wl.extraFilters!(w as never, {})).toEqual([
      { query_string: { query: 'NOT ns:"prod" AND NOT ns:"staging"' } },
    ]);
    const empty = wl.options.parse({ compare_key: 'ns', whitelist: [], ignore_null: true });
    expect(wl.extraFilters!(empty as never, {})).toEqual([]);
    // a compare_key list is one literal key joined with "," (ElastAlert 2)
    const joined = bl.options.parse({ compare_key: ['a', 'b'], blacklist: ['x'] }) as { compare_key: string };
    expect(joined.compare_key).toBe('a,b');
  });

  it('expands "!file" entries, one value per line (trailing whitespace removed)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'esalert-list-'));
    const file = join(dir, 'reasons.txt');
    writeFileSync(file, 'OOMKilled  \r\nEvicted\n\nBackOff');
    const bl = BUILTIN_RULE_TYPES.get('blacklist')!;
    const o = bl.options.parse({ compare_key: 'r', blacklist: [`!file ${file}`, 'Failed', 'Evicted'] }) as {
      blacklist: string[];
    };
    expect(o.blacklist).toEqual(['OOMKilled', 'Evicted', '', 'BackOff', 'Failed']);
    const missing = bl.options.safeParse({ compare_key: 'r', blacklist: [`!file ${join(dir, 'nope.txt')}`] });
    expect(missing.success).toBe(false);
    expect(missing.error!.issues[0]!.message).toMatch(/cannot read the list file .*nope\.txt/);
  });

  it('rejects missing or wrong options with what to write', () => {
    const wl = BUILTIN_RULE_TYPES.get('whitelist')!;
    const noNull = wl.options.safeParse({ compare_key: 'a', whitelist: ['x'] });
    expect(noNull.error!.issues.map((i) => i.path.join('.'))).toEqual(['ignore_null']);
    const bl = BUILTIN_RULE_TYPES.get('blacklist')!;
    const numbers = bl.options.safeParse({ compare_key: 'a', blacklist: [404] });
    expect(numbers.error!.issues[0]!.message).toMatch(/quote numbers/);
    const ch = BUILTIN_RULE_TYPES.get('change')!;
    const noQk = ch.options.safeParse({ compare_key: 'a', ignore_null: true });
    expect(noQk.error!.issues.map((i) => i.path.join('.'))).toEqual(['query_key']);
  });

  it('match texts are empty, as ElastAlert 2 has none for these types', () => {
    for (const [type, options] of [
      ['blacklist', { compare_key: 'a', blacklist: ['x'] }],
      ['whitelist', { compare_key: 'a', whitelist: ['x'], ignore_null: true }],
      ['change', { compare_key: 'a', query_key: 'k', ignore_null: true }],
    ] as const)
      expect(create({ type, options, queryKey: 'k' }).rule.matchText({})).toBe('');
  });

  it('change state survives a restart: exported, imported, then the next value is compared', () => {
    const c = {
      type: 'change',
      queryKey: 'pod',
      options: { compare_key: 'type', query_key: 'pod', ignore_null: true, timeframe: { hours: 1 } },
    };
    const first = create(c).rule;
    first.addData([
      {
        doc: at('2024-05-14T00:00:00Z', { pod: 'a', type: 'Normal' }),
        ts: Date.parse('2024-05-14T00:00:00Z'),
      },
    ]);
    const saved = JSON.parse(JSON.stringify(first.exportState!()));
    const second = create(c).rule;
    second.importState!(saved);
    second.addData([
      {
        doc: at('2024-05-14T00:10:00Z', { pod: 'a', type: 'Warning' }),
        ts: Date.parse('2024-05-14T00:10:00Z'),
      },
    ]);
    expect(second.takeMatches()).toMatchObject([{ old_value: ['Normal'], new_value: ['Warning'] }]);
    // the time is kept too: a change more than timeframe after the last value does not count
    const third = create(c).rule;
    third.importState!(saved);
    third.addData([
      {
        doc: at('2024-05-14T02:00:00Z', { pod: 'a', type: 'Warning' }),
        ts: Date.parse('2024-05-14T02:00:00Z'),
      },
    ]);
    expect(third.takeMatches()).toEqual([]);
    // garbage in the store is ignored
    const fourth = create(c).rule;
    fourth.importState!({ values: 'nope' });
    fourth.importState!(null);
    expect(fourth.exportState!()).toEqual({ values: [], times: [] });
  });

  it('change rules keep their own state (ElastAlert 2 shares it between rules)', () => {
    const c = {
      type: 'change',
      queryKey: 'pod',
      options: { compare_key: 'type', query_key: 'pod', ignore_null: true },
    };
    const a = create(c).rule;
    const b = create(c).rule;
    a.addData([{ doc: at('2024-05-14T00:00:00Z', { pod: 'x', type: 'Normal' }), ts: 1 }]);
    b.addData([{ doc: at('2024-05-14T00:00:01Z', { pod: 'x', type: 'Warning' }), ts: 2 }]);
    expect(b.takeMatches()).toEqual([]);
  });
});
