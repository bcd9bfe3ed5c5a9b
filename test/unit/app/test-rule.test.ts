/** `esalert test-rule` over a file of events (--data): no Elasticsearch, same engine. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { FakeClock } from '../../../src/model/clock.ts';
import { SecretRegistry } from '../../../src/app/logger.ts';
import { EXIT, missingFields, testRule, type TestRuleOptions } from '../../../src/app/test-rule.ts';

const T0 = Date.parse('2024-05-14T08:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const event = (id: string, minutes: number, pod: string, reason: string, type = 'Warning') => ({
  _id: id,
  '@timestamp': at(minutes),
  event: {
    type,
    reason,
    message: `${reason} for ${pod}`,
    involvedObject: { kind: 'Pod', name: pod, namespace: 'prod' },
  },
});

// web-1 backs off ten times in five minutes (two matches of 5), web-2 three times (none).
const EVENTS = [
  ...Array.from({ length: 10 }, (_, i) => event(`a${i}`, i * 0.5, 'web-1', 'BackOff')),
  ...Array.from({ length: 3 }, (_, i) => event(`b${i}`, 1 + i, 'web-2', 'BackOff')),
  event('n0', 2, 'web-3', 'Pulled', 'Normal'),
];

const RULE = {
  name: 'crashloop',
  type: 'frequency',
  index: 'eventrouter-*',
  num_events: 5,
  timeframe: { minutes: 10 },
  query_key: 'event.involvedObject.name.keyword',
  filter: [{ query_string: { query: 'event.reason: BackOff' } }],
  realert: { minutes: 30 },
  alert_text: 'Pod {} in {} keeps restarting',
  alert_text_args: ['event.involvedObject.name', 'event.involvedObject.namespace'],
  alert_text_type: 'alert_text_only',
  alert: ['debug'],
};

describe('test-rule with --data', () => {
  let dir: string;
  let out: string[];
  const run = (
    o: Partial<TestRuleOptions>,
    rule: Record<string, unknown> = RULE,
    now = '2024-05-14T09:00:00Z',
  ) => {
    const file = join(dir, 'rule.yaml');
    writeFileSync(file, stringify(rule));
    out = [];
    return testRule(
      { rule: file, config: join(dir, 'config.yaml'), data: join(dir, 'events.ndjson'), ...o },
      {
        env: () => undefined,
        clock: new FakeClock(now),
        logger: pino({ level: 'silent' }),
        secrets: new SecretRegistry(),
        out: (line) => out.push(line),
      },
    );
  };
  const text = () => out.join('\n');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'esalert-test-rule-'));
    writeFileSync(join(dir, 'config.yaml'), stringify({ es_host: 'localhost', rules_folder: dir }));
    writeFileSync(join(dir, 'events.ndjson'), EVENTS.map((e) => JSON.stringify(e)).join('\n'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('--schema-only stops after loading the rule', async () => {
    expect(await run({ schemaOnly: true })).toBe(EXIT.ok);
    expect(text()).toBe('Successfully loaded crashloop');
  });

  it('a broken rule is reported with its file and line, exit 1', async () => {
    expect(await run({}, { ...RULE, num_events: 'five' })).toBe(EXIT.usage);
    expect(text()).toMatch(/rule\.yaml:\d+.*num_events/);
  });

  it('counts hits, lists the fields of the first one and warns about fields it does not have', async () => {
    const code = await run(
      { countOnly: true },
      { ...RULE, alert_text_args: ['event.involvedObject.name', 'event.podName'] },
    );
    expect(code).toBe(EXIT.ok);
    expect(text()).toContain('Got 13 hits');
    expect(text()).toContain('\tevent.involvedObject.name');
    expect(text()).toContain('alert_text_args uses "event.podName"');
    expect(text()).not.toContain('uses "event.involvedObject.name"');
    expect(text()).not.toContain('match(es)');
  });

  it('names the window it searched and the configured writeback index; num_hits is no missing field', async () => {
    writeFileSync(
      join(dir, 'config.yaml'),
      stringify({ es_host: 'localhost', rules_folder: dir, writeback_index: 'ops_alerts' }),
    );
    const rule = {
      ...RULE,
      alert_text: 'Pod {} restarted ({} hits in the window)',
      alert_text_args: ['event.involvedObject.name', 'num_hits'],
    };
    expect(await run({ start: '2024-05-14T07:55:00Z', end: '2024-05-14T08:30:00Z' }, rule)).toBe(EXIT.ok);
    const t = text();
    expect(t).toContain('Got 13 hits between 2024-05-14T07:55:00Z and 2024-05-14T08:30:00Z');
    expect(t).not.toContain('day(s)');
    expect(t).not.toContain('uses "num_hits"');
    expect(t).toContain('Pod web-1 restarted (13 hits in the window)');
    expect(t).toContain(
      'writeback indices of writeback_index ops_alerts (ops_alerts_status, ops_alerts_silence, ops_alerts, ops_alerts_error)',
    );
    expect(t).not.toContain('elastalert_status)');
    // --days still reads as the last N days
    await run({ days: 2 }, rule);
    expect(text()).toContain('Got 13 hits from the last 2 day(s)');
  });

  it('runs the rule: every match with its fate, the alerts it would send, the writeback documents', async () => {
    expect(await run({})).toBe(EXIT.ok);
    const t = text();
    expect(t).toContain('2 match(es) from 13 hit(s)');
    expect(t).toContain('1 alerted, 1 silenced');
    expect(t).toMatch(/#1 at 2024-05-14T08:02:00Z: alerted; further matches for crashloop\.web-1 held back/);
    expect(t).toMatch(/#2 at 2024-05-14T08:04:30Z: not alerted: silenced \(crashloop\.web-1\)/);
    expect(t).toContain('Would send 1 alert(s)');
    expect(t).toContain('Pod web-1 in prod keeps restarting');
    expect(t).toMatch(/^silence - .*"rule_name":"crashloop\.web-1"/m);
    expect(t).toMatch(/^elastalert_status - .*"matches":2/m);
  });

  it('--formatted-output prints one JSON document', async () => {
    expect(await run({ formattedOutput: true })).toBe(EXIT.ok);
    expect(out).toHaveLength(1);
    const json = JSON.parse(out[0]!) as {
      hits: number;
      result: { matches: number; hits: number };
      alerts: { text: string }[];
      writeback: { silence: unknown[]; elastalert: { alert_sent: boolean }[] };
    };
    expect(json.hits).toBe(13);
    expect(json.result).toMatchObject({ matches: 2, hits: 13 });
    expect(json.alerts.map((a) => a.text)).toEqual(['Pod web-1 in prod keeps restarting\n\n']);
    expect(json.writeback.silence).toHaveLength(1);
    expect(json.writeback.elastalert.map((d) => d.alert_sent)).toEqual([false]);
  });

  it('--start/--end narrow the window', async () => {
    expect(await run({ start: at(-1), end: at(2.1) })).toBe(EXIT.ok);
    expect(text()).toContain('1 match(es) from 7 hit(s)');
  });

  it('--save-json writes hits that --data reads back with the same result', async () => {
    const saved = join(dir, 'saved.json');
    await run({ saveJson: saved });
    const docs = JSON.parse(readFileSync(saved, 'utf8')) as unknown[];
    expect(docs).toHaveLength(13);
    const before = text().slice(text().indexOf('match(es)'));
    await run({ data: saved });
    expect(text().slice(text().indexOf('match(es)'))).toBe(before);
  });

  it('documents without the timestamp field: exit 4 with --stop-error', async () => {
    writeFileSync(
      join(dir, 'events.ndjson'),
      `${JSON.stringify({ _id: 'x', event: { reason: 'BackOff' } })}\n`,
    );
    expect(await run({ stopError: true })).toBe(EXIT.missingTimestamp);
    expect(text()).toContain('document x has no @timestamp');
    expect(await run({})).toBe(EXIT.usage);
  });

  it('adds top_count_keys to the alert text', async () => {
    const { alert_text_type: _, ...rule } = { ...RULE, top_count_keys: ['event.reason'] };
    expect(await run({ formattedOutput: true }, rule)).toBe(EXIT.ok);
    const json = JSON.parse(out[0]!) as { alerts: { text: string }[] };
    expect(json.alerts[0]!.text).toContain('event.reason.keyword:\nBackOff: 10\n');
  });

  it('aggregated alerts over data older than alert_time_limit are shown as they would have gone out', async () => {
    const rule = {
      ...RULE,
      realert: { minutes: 0 },
      aggregation: { minutes: 10 },
      aggregate_by_match_time: true,
      // join an aggregate by event time, not by the clock (which is weeks later)
      aggregation_alert_time_compared_with_timestamp_field: true,
    };
    expect(await run({ formattedOutput: true }, rule, '2024-06-01T00:00:00Z')).toBe(EXIT.ok);
    const json = JSON.parse(out[0]!) as { alerts: { text: string }[]; result: { matches: number } };
    expect(json.result.matches).toBe(2);
    expect(json.alerts).toHaveLength(1);
    expect(json.alerts[0]!.text.match(/Pod web-1 in prod keeps restarting/g)).toHaveLength(2);
  });

  it('--explain lists each query', async () => {
    await run({ explain: true });
    expect(text()).toContain('Queries (one per segment of the window)');
    expect(text()).toContain('"query_string"');
  });
});

describe('missingFields', () => {
  it('ignores fields defined by the rule itself and the template root', () => {
    const rule = {
      definition: { raw: { owner: 'x' } },
      options: { queryKey: 'a.keyword', timestampField: '@timestamp' },
      jinjaTemplate: '{{ owner }} {{ _data.a }} {{ b }}',
    } as unknown as Parameters<typeof missingFields>[0];
    expect(missingFields(rule, { a: 'x', '@timestamp': 'now' })).toEqual([
      { option: 'template', field: 'b' },
    ]);
  });
});
