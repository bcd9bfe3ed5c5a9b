/** Which setups cannot alert, from Elasticsearch's field capabilities (its answers played here). */
import { describe, expect, it } from 'vitest';
import { setupWarnings } from '../../../src/app/setup-warnings.ts';
import { compileTestRule } from '../../support/compiled-rule.ts';

const rule = compileTestRule({
  name: 'changes',
  type: 'change',
  index: 'eventrouter-*',
  query_key: 'event.involvedObject.name.keyword',
  compare_key: 'event.reason',
  ignore_null: true,
  alert: ['debug'],
});

/** A field_caps answer: these indices, these fields mapped. */
const caps = (indices: string[], fields: string[]) => ({
  asked: [] as { index: string; fields: string[] }[],
  async fieldCaps(params: { index: string; fields: string[] }) {
    this.asked.push(params);
    return { indices, fields: Object.fromEntries(fields.map((f) => [f, { keyword: {} }])) };
  },
});

describe('setupWarnings', () => {
  it('asks once, for the index pattern and the fields the rule needs; none missing, no warning', async () => {
    const es = caps(
      ['eventrouter-2024.05.14'],
      ['@timestamp', 'event.involvedObject.name.keyword', 'event.reason'],
    );
    expect(await setupWarnings(rule, es)).toEqual([]);
    expect(es.asked).toEqual([
      { index: 'eventrouter-*', fields: ['@timestamp', 'event.involvedObject.name.keyword', 'event.reason'] },
    ]);
  });

  it('an index pattern that matches no index says so, with the line of index', async () => {
    expect(await setupWarnings(rule, caps([], []))).toEqual([
      expect.stringMatching(/rule\.yaml:\d+:\d+: index "eventrouter-\*" matches no index: check the name/),
    ]);
  });

  it('each needed field in no mapping is named with its option', async () => {
    const warnings = await setupWarnings(rule, caps(['eventrouter-2024.05.14'], ['event.reason']));
    expect(warnings).toEqual([
      expect.stringMatching(/: timestamp_field "@timestamp" is in no mapping of eventrouter-\*/),
      expect.stringMatching(/: query_key "event\.involvedObject\.name\.keyword" is in no mapping/),
    ]);
  });

  it('an Elasticsearch that cannot answer gives one warning, not a failure', async () => {
    const failing = {
      fieldCaps: () => Promise.reject(new Error('cannot reach Elasticsearch')),
    };
    expect(await setupWarnings(rule, failing)).toEqual([
      expect.stringMatching(
        /could not check index "eventrouter-\*" and its mapping: cannot reach Elasticsearch/,
      ),
    ]);
  });
});
