/**
 * cardinality. Cases marked "EA2" are ElastAlert 2's tests (tests/rules_test.py) with the same
 * inputs; EA2 uses datetime.now(), here T.
 */
import { describe, expect, it } from 'vitest';
import { toIso } from '../../../src/util/time.ts';
import { type Case, type Step, at, create, run } from './support.ts';

const T = Date.parse('2024-05-14T10:00:00Z');
const t = (minutes: number) => toIso(T + minutes * 60_000);
/** One add_data call per event, as the EA2 tests do. */
const each = (
  minutes: number,
  field: string,
  values: string[],
  extra: Record<string, unknown> = {},
): Step[] => values.map((v) => ({ data: [at(t(minutes), { [field]: v, ...extra })] }));

const cases: Case[] = [
  {
    name: 'EA2 test_cardinality_max',
    type: 'cardinality',
    options: { max_cardinality: 4, timeframe: { minutes: 10 }, cardinality_field: 'user' },
    steps: [
      ...each(0, 'user', ['bill', 'coach', 'zoey', 'louis']),
      { matches: 0 },
      { gc: t(0) },
      ...each(0, 'user', ['coach']),
      { gc: t(0) },
      { matches: 0 },
      ...each(0, 'user', ['francis']),
      { gc: t(0) },
      { matches: 1, where: [{ user: 'francis', '@timestamp': t(0) }] },
      { clear: true },
      ...each(15, 'user', ['nick', 'rochelle', 'ellis']),
      { matches: 0 },
    ],
  },
  {
    name: 'EA2 test_cardinality_min: fires at t+15 min from garbage collection (a placeholder match)',
    type: 'cardinality',
    options: { min_cardinality: 4, timeframe: { minutes: 10 }, cardinality_field: 'user' },
    steps: [
      ...each(0, 'user', ['foo', 'bar']),
      { matches: 0 },
      { gc: t(0) },
      ...each(5, 'user', ['faz', 'fuz', 'fiz']),
      { gc: t(5) },
      { matches: 0 },
      ...each(15, 'user', ['faz']),
      { gc: t(15) },
      { matches: 1, exact: [{ '@timestamp': t(15) }] },
    ],
  },
  {
    name: 'EA2 test_cardinality_qk: one alert per new value above the maximum',
    type: 'cardinality',
    queryKey: 'user',
    options: { max_cardinality: 2, timeframe: { minutes: 10 }, cardinality_field: 'foo' },
    steps: [
      { data: [at(t(0), { user: 'foo', foo: 'foofoo' })] },
      { data: [at(t(0), { user: 'bar', foo: 'foobar' })] },
      { data: [at(t(0), { user: 'baz', foo: 'foobaz' })] },
      { matches: 0 },
      { gc: t(0) },
      ...each(5, 'foo', ['faz', 'fuz', 'fiz'], { user: 'baz' }),
      { gc: t(5) },
      {
        matches: 2,
        where: [
          { user: 'baz', foo: 'fuz' },
          { user: 'baz', foo: 'fiz' },
        ],
      },
    ],
  },
  {
    name: 'EA2 test_cardinality_nested_cardinality_field',
    type: 'cardinality',
    options: { max_cardinality: 4, timeframe: { minutes: 10 }, cardinality_field: 'd.ip' },
    steps: [
      ...['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map((ip) => ({ data: [at(t(0), { d: { ip } })] })),
      { matches: 0 },
      { gc: t(0) },
      { data: [at(t(0), { d: { ip: '10.0.0.4' } })] },
      { gc: t(0) },
      { matches: 0 },
      { data: [at(t(0))] },
      { gc: t(0) },
      { matches: 0 },
      { data: [at(t(0), { d: { ip: '10.0.0.5' } })] },
      { gc: t(0) },
      { matches: 1 },
      { clear: true },
      ...['10.0.0.6', '10.0.0.7', '10.0.0.8'].map((ip) => ({ data: [at(t(15), { d: { ip } })] })),
      { matches: 0 },
    ],
  },
  {
    name: 'min with query_key: the placeholder match carries the query key; the timeframe restarts after an alert',
    type: 'cardinality',
    queryKey: 'node',
    options: { min_cardinality: 2, timeframe: { minutes: 10 }, cardinality_field: 'pod' },
    steps: [
      {
        data: [
          at(t(0), { node: 'n1', pod: 'a' }),
          at(t(0), { node: 'n2', pod: 'a' }),
          at(t(1), { node: 'n2', pod: 'b' }),
        ],
      },
      { gc: t(5) },
      { matches: 0 },
      { gc: t(11) },
      {
        matches: 2,
        exact: [
          { '@timestamp': t(11), node: 'n1' },
          { '@timestamp': t(11), node: 'n2' },
        ],
      },
      { gc: t(30) },
      { matches: 2 },
      { data: [at(t(31), { node: 'n1', pod: 'c' })] },
      { gc: t(40) },
      { matches: 2 },
      { gc: t(42) },
      { matches: 3, where: [{}, {}, { '@timestamp': t(42), node: 'n1' }] },
    ],
  },
  {
    name: 'values compare as Python dictionary keys (1, 1.0 and true are one value; a list is its text)',
    type: 'cardinality',
    options: { max_cardinality: 2, timeframe: { minutes: 10 }, cardinality_field: 'v' },
    steps: [
      {
        data: [
          at(t(0), { v: 1 }),
          at(t(0), { v: true }),
          at(t(0), { v: 1.0 }),
          at(t(0), { v: ['a'] }),
          at(t(0), { v: "['a']" }),
        ],
      },
      { matches: 0 },
      { data: [at(t(1), { v: 'x' })] },
      { matches: 1, where: [{ v: 'x' }] },
    ],
  },
];

describe('cardinality', () => {
  it.each(cases)('$name', (c) => {
    run(c);
  });

  it('match texts read like ElastAlert 2', () => {
    const max = create({
      type: 'cardinality',
      options: { max_cardinality: 4, timeframe: { minutes: 10 }, cardinality_field: 'user' },
    }).rule;
    expect(max.matchText({ '@timestamp': '2024-05-14T10:15:30Z' })).toBe(
      'A maximum of 4 unique user(s) occurred since last alert or between 2024-05-14 10:05 UTC and 2024-05-14 10:15 UTC\n\n',
    );
    const min = create({
      type: 'cardinality',
      options: { min_cardinality: 2, timeframe: { hours: 1 }, cardinality_field: 'pod' },
    }).rule;
    expect(min.matchText({ '@timestamp': '2024-05-14T10:15:30Z' })).toBe(
      'Less than 2 unique pod(s) occurred since last alert or between 2024-05-14 09:15 UTC and 2024-05-14 10:15 UTC\n\n',
    );
  });

  it('needs max_cardinality or min_cardinality', () => {
    const { def } = create({
      type: 'cardinality',
      options: { max_cardinality: 1, timeframe: { minutes: 1 }, cardinality_field: 'a' },
    });
    const r = def.options.safeParse({ timeframe: { minutes: 1 }, cardinality_field: 'a' });
    expect(r.error?.issues.map((i) => i.message)).toEqual([
      'needs max_cardinality or min_cardinality (or both)',
    ]);
    expect(def.options.safeParse({ max_cardinality: 1, timeframe: { minutes: 1 } }).success).toBe(false);
  });
});
