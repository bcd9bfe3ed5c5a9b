/**
 * Table-driven rule type tests: (options, steps of data / counts / terms / time) -> matches.
 * Cases marked "EA2" are ElastAlert 2's own tests (tests/rules_test.py), with the same inputs and
 * expectations.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_RULE_TYPES } from '../../../src/ruletypes/registry.ts';
import type { RuleTypeContext } from '../../../src/ruletypes/rule-type.ts';
import type { Doc } from '../../../src/model/lookup.ts';
import { parseTimestamp, toIso } from '../../../src/util/time.ts';
import type { Hit, Match } from '../../../src/model/match.ts';

type Step =
  | { data: Doc[] }
  | { count: [string, number] }
  | { terms: [string, [string, number][]] }
  | { gc: string }
  | { matches: number; where?: Doc[] }
  | { clear: true };

interface Case {
  name: string;
  type: string;
  options: Doc;
  tsField?: string;
  queryKey?: string;
  compatSpikeOnZero?: boolean;
  steps: Step[];
}

const BASE = Date.parse('2014-09-26T12:00:00Z');
/** ElastAlert 2's test helper: n events, one per second from 2014-09-26T12:00:00Z. */
function hits(n: number, extra: Doc = {}, tsField = '@timestamp', from = 0): Doc[] {
  return Array.from({ length: n - from }, (_, i) => ({
    [tsField]: toIso(BASE + (from + i) * 1000),
    ...extra,
  }));
}
const at = (iso: string, extra: Doc = {}, tsField = '@timestamp'): Doc => ({ [tsField]: iso, ...extra });
const sec = (s: number) => ({ seconds: s });
const min = (m: number) => ({ minutes: m });

function run(c: Case) {
  const def = BUILTIN_RULE_TYPES.get(c.type)!;
  const tsField = c.tsField ?? '@timestamp';
  const ctx: RuleTypeContext = {
    timestampField: tsField,
    queryKey: c.queryKey,
    timezone: 'UTC',
    prettyFormat: undefined,
    compat: { spikeOnZero: c.compatSpikeOnZero ?? false },
  };
  const rule = def.create(ctx, def.options.parse(c.options) as never);
  let all: Match[] = [];
  c.steps.forEach((step, i) => {
    const where = `step ${i} of "${c.name}"`;
    if ('data' in step) {
      const batch: Hit[] = step.data.map((doc) => ({ doc, ts: parseTimestamp(doc[tsField])! }));
      rule.addData(batch);
    } else if ('count' in step) {
      rule.addCountData!(parseTimestamp(step.count[0])!, step.count[1]);
    } else if ('terms' in step) {
      rule.addTermsData!(
        parseTimestamp(step.terms[0])!,
        step.terms[1].map(([key, doc_count]) => ({ key, doc_count })),
      );
    } else if ('gc' in step) {
      rule.garbageCollect(parseTimestamp(step.gc)!);
    } else if ('clear' in step) {
      all.push(...rule.takeMatches());
      all = [];
    } else {
      all.push(...rule.takeMatches());
      expect(all.length, where).toBe(step.matches);
      if (step.where)
        for (const [j, fields] of step.where.entries())
          expect(all[j], `${where}, match ${j}`).toMatchObject(fields);
    }
  });
  return { rule, ctx };
}

const freqEvents = hits(60, { username: 'qlo' }, 'blah');
const doubled = (events: Doc[], tsField: string) =>
  events.flatMap((e, i) => (i < 50 ? [e] : [e, { [tsField]: toIso(parseTimestamp(e[tsField])! + 1) }]));
const spikeEvents = hits(100, {}, 'ts');

const cases: Case[] = [
  {
    name: 'EA2 test_any: every event is a match',
    type: 'any',
    options: {},
    steps: [{ data: hits(1) }, { matches: 1, where: [{ '@timestamp': '2014-09-26T12:00:00Z' }] }],
  },
  {
    name: 'any keeps order and the whole document',
    type: 'any',
    options: {},
    steps: [
      { data: hits(3, { a: { b: 1 } }) },
      { matches: 3, where: [{ a: { b: 1 } }, {}, { '@timestamp': '2014-09-26T12:00:02Z' }] },
    ],
  },

  // frequency
  {
    name: 'EA2 test_freq: 60 events in an hour, num_events 59',
    type: 'frequency',
    tsField: 'blah',
    options: { num_events: 59, timeframe: { hours: 1 } },
    steps: [{ data: freqEvents }, { matches: 1 }],
  },
  {
    name: 'EA2 test_freq with query_key',
    type: 'frequency',
    tsField: 'blah',
    queryKey: 'username',
    options: { num_events: 59, timeframe: { hours: 1 } },
    steps: [{ data: freqEvents }, { matches: 1 }],
  },
  {
    name: 'EA2 test_freq: num_events 61 does not match',
    type: 'frequency',
    tsField: 'blah',
    queryKey: 'username',
    options: { num_events: 61, timeframe: { hours: 1 } },
    steps: [{ data: freqEvents }, { matches: 0 }],
  },
  {
    name: 'num_events is inclusive and the match is the newest event; the window restarts after a match',
    type: 'frequency',
    options: { num_events: 3, timeframe: min(1) },
    steps: [
      { data: hits(3) },
      { matches: 1, where: [{ '@timestamp': '2014-09-26T12:00:02Z' }] },
      { data: hits(5, {}, '@timestamp', 3) },
      { matches: 1 },
      { data: hits(6, {}, '@timestamp', 5) },
      { matches: 2, where: [{}, { '@timestamp': '2014-09-26T12:00:05Z' }] },
    ],
  },
  {
    name: 'events older than timeframe fall out of the window (start exclusive)',
    type: 'frequency',
    options: { num_events: 2, timeframe: sec(10) },
    steps: [
      { data: [at('2014-09-26T12:00:00Z'), at('2014-09-26T12:00:10Z')] },
      { matches: 0 },
      { data: [at('2014-09-26T12:00:19Z')] },
      { matches: 1 },
    ],
  },
  {
    name: 'EA2 test_freq_count (in order)',
    type: 'frequency',
    options: { num_events: 100, timeframe: { hours: 1 } },
    steps: [
      { count: ['2014-10-10T00:00:00Z', 75] },
      { count: ['2014-10-10T00:15:00Z', 10] },
      { count: ['2014-10-10T00:25:00Z', 10] },
      { matches: 0 },
      { count: ['2014-10-10T00:45:00Z', 6] },
      { matches: 1, where: [{ '@timestamp': '2014-10-10T00:45:00Z' }] },
    ],
  },
  {
    name: 'EA2 test_freq_count (first data leaves the window, then an out-of-order count)',
    type: 'frequency',
    options: { num_events: 100, timeframe: { hours: 1 } },
    steps: [
      { count: ['2014-10-10T00:00:00Z', 75] },
      { count: ['2014-10-10T00:45:00Z', 10] },
      { count: ['2014-10-10T00:55:00Z', 10] },
      { count: ['2014-10-10T01:05:00Z', 6] },
      { matches: 0 },
      { count: ['2014-10-10T01:00:00Z', 75] },
      { matches: 1, where: [{ '@timestamp': '2014-10-10T01:05:00Z' }] },
    ],
  },
  {
    name: 'EA2 test_freq_out_of_order',
    type: 'frequency',
    tsField: 'blah',
    options: { num_events: 59, timeframe: { hours: 1 } },
    steps: [
      { data: freqEvents.slice(0, 10) },
      { matches: 0 },
      { data: Array.from({ length: 50 }, () => ({ blah: '2014-09-26T11:00:00Z', username: 'qlo' })) },
      { matches: 0 },
      { data: freqEvents.slice(15, 20) },
      { data: freqEvents.slice(10, 15) },
      { data: freqEvents.slice(20, 55) },
      { data: freqEvents.slice(57) },
      { matches: 0 },
      { data: freqEvents.slice(55, 57) },
      { matches: 1 },
    ],
  },
  {
    name: 'EA2 test_freq_terms',
    type: 'frequency',
    queryKey: 'username',
    options: { num_events: 10, timeframe: { hours: 1 } },
    steps: [
      {
        terms: [
          '2014-01-01T00:01:00Z',
          [
            ['userA', 1],
            ['userB', 5],
          ],
        ],
      },
      { matches: 0 },
      {
        terms: [
          '2014-01-01T00:10:00Z',
          [
            ['userA', 8],
            ['userB', 5],
          ],
        ],
      },
      { matches: 1, where: [{ username: 'userB' }] },
      {
        terms: [
          '2014-01-01T00:25:00Z',
          [
            ['userA', 3],
            ['userB', 0],
          ],
        ],
      },
      { matches: 2, where: [{ username: 'userB' }, { username: 'userA' }] },
    ],
  },
  {
    name: 'query_key keeps separate windows; nested key lookup',
    type: 'frequency',
    queryKey: 'event.involvedObject.name',
    options: { num_events: 2, timeframe: min(5) },
    steps: [
      {
        data: [
          at('2024-05-14T00:00:00Z', { event: { involvedObject: { name: 'a' } } }),
          at('2024-05-14T00:00:01Z', { event: { involvedObject: { name: 'b' } } }),
        ],
      },
      { matches: 0 },
      { data: [at('2024-05-14T00:00:02Z', { event: { involvedObject: { name: 'a' } } })] },
      { matches: 1, where: [{ event: { involvedObject: { name: 'a' } } }] },
    ],
  },
  {
    name: 'attach_related puts the other window events on the match',
    type: 'frequency',
    options: { num_events: 3, timeframe: min(1), attach_related: true },
    steps: [
      { data: hits(3, { n: 1 }) },
      {
        matches: 1,
        where: [
          {
            related_events: [
              { '@timestamp': '2014-09-26T12:00:00Z', n: 1 },
              { '@timestamp': '2014-09-26T12:00:01Z', n: 1 },
            ],
          },
        ],
      },
    ],
  },

  // flatline
  {
    name: 'EA2 test_flatline',
    type: 'flatline',
    options: { timeframe: sec(30), threshold: 2 },
    steps: [
      { data: hits(1) },
      { matches: 0 },
      { data: hits(10) },
      { gc: '2014-09-26T12:00:11Z' },
      { matches: 0 },
      { gc: '2014-09-26T12:00:45Z' },
      { matches: 1, where: [{ '@timestamp': '2014-09-26T12:00:45Z', key: 'all', count: 0, threshold: 2 }] },
      { gc: '2014-09-26T12:00:50Z' },
      { matches: 2 },
      { data: hits(40, {}, '@timestamp', 30) },
      { gc: '2014-09-26T12:00:55Z' },
      { matches: 2 },
      { gc: '2014-09-26T12:01:11Z' },
      { matches: 3 },
    ],
  },
  {
    name: 'EA2 test_flatline_no_data: fires on silence once a timeframe has passed',
    type: 'flatline',
    options: { timeframe: sec(30), threshold: 2 },
    steps: [{ gc: '2014-09-26T12:00:00Z' }, { matches: 0 }, { gc: '2014-09-26T12:35:00Z' }, { matches: 1 }],
  },
  {
    name: 'EA2 test_flatline_count',
    type: 'flatline',
    options: { timeframe: sec(30), threshold: 1 },
    steps: [
      { count: ['2014-10-11T00:00:00Z', 1] },
      { gc: '2014-10-11T00:00:10Z' },
      { matches: 0 },
      { count: ['2014-10-11T00:00:15Z', 0] },
      { gc: '2014-10-11T00:00:20Z' },
      { matches: 0 },
      { count: ['2014-10-11T00:00:35Z', 0] },
      { matches: 1 },
    ],
  },
  {
    name: 'EA2 test_flatline_query_key',
    type: 'flatline',
    queryKey: 'qk',
    options: { timeframe: sec(30), threshold: 1 },
    steps: [
      { data: hits(1, { qk: 'key1' }) },
      { data: hits(1, { qk: 'key2' }) },
      { data: hits(1, { qk: 'key3' }) },
      { matches: 0 },
      { gc: '2014-09-26T12:00:11Z' },
      { matches: 0 },
      { data: [at('2014-09-26T12:00:20Z', { qk: 'key3' })] },
      { gc: '2014-09-26T12:00:45Z' },
      {
        matches: 2,
        where: [
          { key: 'key1', '@timestamp': '2014-09-26T12:00:45Z' },
          { key: 'key2', '@timestamp': '2014-09-26T12:00:45Z' },
        ],
      },
      { gc: '2014-09-26T12:01:20Z' },
      { matches: 5, where: [{}, {}, { key: 'key1' }, { key: 'key2' }, { key: 'key3' }] },
    ],
  },
  {
    name: 'EA2 test_flatline_forget_query_key',
    type: 'flatline',
    queryKey: 'qk',
    options: { timeframe: sec(30), threshold: 1, forget_keys: true },
    steps: [
      { data: hits(1, { qk: 'key1' }) },
      { matches: 0 },
      { gc: '2014-09-26T12:00:11Z' },
      { matches: 0 },
      { gc: '2014-09-26T12:00:45Z' },
      { matches: 1 },
      { clear: true },
      { gc: '2014-09-26T12:01:11Z' },
      { matches: 0 },
    ],
  },
  {
    name: 'flatline with query_key never fires for keys it never saw',
    type: 'flatline',
    queryKey: 'qk',
    options: { timeframe: sec(30), threshold: 1 },
    steps: [{ gc: '2014-09-26T12:00:00Z' }, { gc: '2014-09-26T13:00:00Z' }, { matches: 0 }],
  },

  // spike
  {
    name: 'EA2 test_spike_count: up',
    type: 'spike',
    options: { threshold_ref: 10, spike_height: 2, timeframe: sec(10), spike_type: 'both' },
    steps: [
      { count: ['2014-09-26T00:00:00Z', 10] },
      { count: ['2014-09-26T00:00:10Z', 10] },
      { matches: 0 },
      { count: ['2014-09-26T00:00:20Z', 20] },
      { matches: 1, where: [{ spike_count: 20, reference_count: 10 }] },
    ],
  },
  {
    name: 'EA2 test_spike_count: down to zero',
    type: 'spike',
    options: { threshold_ref: 10, spike_height: 2, timeframe: sec(10), spike_type: 'both' },
    steps: [
      { count: ['2014-09-26T00:00:00Z', 10] },
      { count: ['2014-09-26T00:00:10Z', 10] },
      { matches: 0 },
      { count: ['2014-09-26T00:00:20Z', 0] },
      { matches: 1, where: [{ spike_count: 0, reference_count: 10 }] },
    ],
  },
  {
    name: 'EA2 test_spike: constant rate does not match',
    type: 'spike',
    tsField: 'ts',
    options: { threshold_ref: 10, spike_height: 2, timeframe: sec(10), spike_type: 'both' },
    steps: [{ data: spikeEvents }, { matches: 0 }],
  },
  {
    name: 'EA2 test_spike: doubled rate matches up',
    type: 'spike',
    tsField: 'ts',
    options: { threshold_ref: 10, spike_height: 2, timeframe: sec(10), spike_type: 'up' },
    steps: [{ data: doubled(spikeEvents, 'ts') }, { matches: 1 }],
  },
  {
    name: 'EA2 test_spike: spike_height 3 does not',
    type: 'spike',
    tsField: 'ts',
    options: { threshold_ref: 10, spike_height: 3, timeframe: sec(10), spike_type: 'up' },
    steps: [{ data: doubled(spikeEvents, 'ts') }, { matches: 0 }],
  },
  {
    name: 'EA2 test_spike: a gap is a down spike',
    type: 'spike',
    tsField: 'ts',
    options: { threshold_ref: 10, spike_height: 3, timeframe: sec(10), spike_type: 'down' },
    steps: [{ data: [...spikeEvents.slice(0, 50), ...spikeEvents.slice(75)] }, { matches: 1 }],
  },
  {
    name: 'EA2 test_spike: threshold_ref 11 not met',
    type: 'spike',
    tsField: 'ts',
    options: { threshold_ref: 11, spike_height: 2, timeframe: sec(10), spike_type: 'up' },
    steps: [{ data: doubled(spikeEvents, 'ts') }, { matches: 0 }],
  },
  {
    name: 'EA2 test_spike: threshold_cur 30 not met',
    type: 'spike',
    tsField: 'ts',
    options: { threshold_ref: 10, threshold_cur: 30, spike_height: 2, timeframe: sec(10), spike_type: 'up' },
    steps: [{ data: doubled(spikeEvents, 'ts') }, { matches: 0 }],
  },
  {
    name: 'EA2 test_spike: alert_on_new_data',
    type: 'spike',
    tsField: 'ts',
    options: {
      threshold_cur: 25,
      spike_height: 2,
      timeframe: sec(30),
      spike_type: 'up',
      alert_on_new_data: true,
    },
    steps: [{ data: doubled(spikeEvents, 'ts') }, { matches: 1 }],
  },
  {
    name: 'EA2 test_spike_query_key: other users do not add to a key',
    type: 'spike',
    tsField: 'ts',
    queryKey: 'username',
    options: { threshold_ref: 10, spike_height: 2, timeframe: sec(10), spike_type: 'both' },
    steps: [
      {
        data: (() => {
          const q = hits(100, { username: 'qlo' }, 'ts');
          const b = hits(100, { username: 'bob' }, 'ts');
          return [
            ...q.slice(0, 50),
            ...Array.from({ length: 49 }, (_, k) => [b[50 + k]!, q[50 + k]!]).flat(),
          ];
        })(),
      },
      { matches: 0 },
    ],
  },
  {
    name: 'EA2 test_spike_query_key: doubled rate for the same user',
    type: 'spike',
    tsField: 'ts',
    queryKey: 'username',
    options: { threshold_ref: 10, spike_height: 2, timeframe: sec(10), spike_type: 'both' },
    steps: [
      {
        data: (() => {
          const q = hits(100, { username: 'qlo' }, 'ts');
          const b = hits(100, { username: 'bob' }, 'ts');
          return [
            ...q.slice(0, 50),
            ...Array.from({ length: 49 }, (_, k) => [b[50 + k]!, q[50 + k]!, q[50 + k]!]).flat(),
          ];
        })(),
      },
      { matches: 1 },
    ],
  },
  {
    name: 'EA2 test_spike_terms: userB spikes',
    type: 'spike',
    tsField: 'ts',
    queryKey: 'username',
    options: { threshold_ref: 5, spike_height: 2, timeframe: min(10), spike_type: 'both' },
    steps: [
      {
        terms: [
          '2014-01-01T00:01:00Z',
          [
            ['userA', 10],
            ['userB', 5],
          ],
        ],
      },
      { matches: 0 },
      {
        terms: [
          '2014-01-01T00:10:00Z',
          [
            ['userA', 22],
            ['userB', 5],
          ],
        ],
      },
      { matches: 0 },
      {
        terms: [
          '2014-01-01T00:25:00Z',
          [
            ['userA', 25],
            ['userB', 27],
          ],
        ],
      },
      {
        matches: 1,
        where: [{ ts: '2014-01-01T00:25:00Z', username: 'userB', spike_count: 27, reference_count: 10 }],
      },
    ],
  },
  {
    name: 'EA2 test_spike_terms: no alert for a new user over threshold_cur',
    type: 'spike',
    tsField: 'ts',
    queryKey: 'username',
    options: { threshold_cur: 50, spike_height: 2, timeframe: min(10), spike_type: 'both' },
    steps: [
      {
        terms: [
          '2014-01-01T00:01:00Z',
          [
            ['userA', 10],
            ['userB', 5],
          ],
        ],
      },
      {
        terms: [
          '2014-01-01T00:10:00Z',
          [
            ['userA', 22],
            ['userB', 5],
          ],
        ],
      },
      {
        terms: [
          '2014-01-01T00:25:00Z',
          [
            ['userA', 25],
            ['userB', 27],
          ],
        ],
      },
      {
        terms: [
          '2014-01-01T00:27:00Z',
          [
            ['userA', 10],
            ['userB', 12],
            ['userC', 100],
          ],
        ],
      },
      { matches: 0 },
    ],
  },
  {
    name: 'EA2 test_spike_terms: alert_on_new_data, then userD but not userC again',
    type: 'spike',
    tsField: 'ts',
    queryKey: 'username',
    options: {
      threshold_cur: 50,
      spike_height: 2,
      timeframe: min(10),
      spike_type: 'both',
      alert_on_new_data: true,
    },
    steps: [
      {
        terms: [
          '2014-01-01T00:01:00Z',
          [
            ['userA', 10],
            ['userB', 5],
          ],
        ],
      },
      {
        terms: [
          '2014-01-01T00:10:00Z',
          [
            ['userA', 22],
            ['userB', 5],
          ],
        ],
      },
      {
        terms: [
          '2014-01-01T00:25:00Z',
          [
            ['userA', 25],
            ['userB', 27],
          ],
        ],
      },
      {
        terms: [
          '2014-01-01T00:27:00Z',
          [
            ['userA', 10],
            ['userB', 12],
            ['userC', 100],
          ],
        ],
      },
      { matches: 1, where: [{ username: 'userC' }] },
      { clear: true },
      {
        terms: [
          '2014-01-01T00:30:00Z',
          [
            ['userD', 100],
            ['userC', 100],
          ],
        ],
      },
      { matches: 1, where: [{ username: 'userD' }] },
    ],
  },
  {
    name: 'field_value compares means of a numeric field',
    type: 'spike',
    options: { spike_height: 2, timeframe: sec(10), spike_type: 'up', field_value: 'latency' },
    steps: [
      { data: [...hits(20, { latency: 10 }), ...hits(30, { latency: 50 }, '@timestamp', 20)] },
      // at 12:00:22 the current window (12:00:13..22) averages 22 against 10: the match is its oldest event
      {
        matches: 1,
        where: [{ spike_count: 22, reference_count: 10, latency: 10, '@timestamp': '2014-09-26T12:00:13Z' }],
      },
    ],
  },

  // the 0-vs-0 deviation and its compatibility switch
  {
    name: 'a stream that goes silent does not spike 0 vs 0',
    type: 'spike',
    options: { spike_height: 2, timeframe: sec(10), spike_type: 'both' },
    steps: [
      { data: hits(1) },
      { gc: '2014-09-26T12:00:10Z' },
      { gc: '2014-09-26T12:00:20Z' },
      { gc: '2014-09-26T12:00:30Z' },
      { gc: '2014-09-26T12:00:40Z' },
      { gc: '2014-09-26T12:00:50Z' },
      { matches: 0 },
    ],
  },
  {
    name: 'compat_spike_on_zero: ElastAlert 2 fires 0 vs 0 on a stream gone silent',
    type: 'spike',
    compatSpikeOnZero: true,
    options: { spike_height: 2, timeframe: sec(10), spike_type: 'both' },
    steps: [
      { data: hits(1) },
      { gc: '2014-09-26T12:00:10Z' },
      { matches: 0 },
      { gc: '2014-09-26T12:00:20Z' },
      {
        matches: 1,
        where: [
          { spike_count: 0, reference_count: 0, placeholder: true, '@timestamp': '2014-09-26T12:00:20Z' },
        ],
      },
    ],
  },
  {
    name: 'events against an empty reference window are an up spike (cur > ref)',
    type: 'spike',
    options: { spike_height: 2, timeframe: sec(10), spike_type: 'up' },
    steps: [
      { data: hits(1) },
      { gc: '2014-09-26T12:00:10Z' },
      { gc: '2014-09-26T12:00:20Z' },
      { matches: 0 },
      { data: [at('2014-09-26T12:00:25Z')] },
      { matches: 1, where: [{ spike_count: 1, reference_count: 0, '@timestamp': '2014-09-26T12:00:25Z' }] },
    ],
  },
];

describe('rule types', () => {
  it.each(cases)('$type: $name', (c) => {
    run(c);
  });

  it('EA2 test_spike_terms with compat switch gives the same results', () => {
    for (const c of cases.filter((x) => x.type === 'spike' && x.name.startsWith('EA2')))
      run({ ...c, compatSpikeOnZero: true });
  });

  it('match texts read like ElastAlert 2', () => {
    const freq = BUILTIN_RULE_TYPES.get('frequency')!;
    const base: RuleTypeContext = {
      timestampField: '@timestamp',
      queryKey: undefined,
      timezone: 'UTC',
      prettyFormat: undefined,
      compat: { spikeOnZero: false },
    };
    const f = freq.create(base, freq.options.parse({ num_events: 5, timeframe: { hours: 1 } }) as never);
    expect(f.matchText({ '@timestamp': '2024-05-14T03:21:09.512Z' })).toBe(
      'At least 5 events occurred between 2024-05-14 02:21 UTC and 2024-05-14 03:21 UTC\n\n',
    );
    const shanghai = freq.create(
      { ...base, timezone: 'Asia/Shanghai' },
      freq.options.parse({ num_events: 5, timeframe: { hours: 1 } }) as never,
    );
    expect(shanghai.matchText({ '@timestamp': '2024-05-14T03:21:09Z' })).toBe(
      'At least 5 events occurred between 2024-05-14 10:21 CST and 2024-05-14 11:21 CST\n\n',
    );
    const spike = BUILTIN_RULE_TYPES.get('spike')!;
    const s = spike.create(
      base,
      spike.options.parse({ spike_height: 2, spike_type: 'up', timeframe: { minutes: 10 } }) as never,
    );
    expect(s.matchText({ '@timestamp': '2024-05-14T16:50:00Z', spike_count: 120, reference_count: 3 })).toBe(
      'An abnormal number (120) of events occurred around 2024-05-14 16:50 UTC.\nPreceding that time, there were only 3 events within 0:10:00\n\n',
    );
    const flat = BUILTIN_RULE_TYPES.get('flatline')!;
    const fl = flat.create(base, flat.options.parse({ threshold: 1, timeframe: { minutes: 10 } }) as never);
    expect(fl.matchText({ '@timestamp': '2024-05-14T13:30:00Z' })).toBe(
      'An abnormally low number of events occurred around 2024-05-14 13:30 UTC.\nBetween 2024-05-14 13:20 UTC and 2024-05-14 13:30 UTC, there were less than 1 events.\n\n',
    );
    expect(fl.silenceKeyValue!({ key: 'heartbeat' })).toBe('heartbeat');
  });

  it('rejects bad options with the option name', () => {
    const freq = BUILTIN_RULE_TYPES.get('frequency')!;
    expect(freq.options.safeParse({ timeframe: { hours: 1 } }).success).toBe(false);
    expect(freq.options.safeParse({ num_events: 'ten', timeframe: { hours: 1 } }).success).toBe(false);
    const spike = BUILTIN_RULE_TYPES.get('spike')!;
    expect(
      spike.options.safeParse({ spike_height: 2, spike_type: 'sideways', timeframe: { hours: 1 } }).success,
    ).toBe(false);
  });
});
