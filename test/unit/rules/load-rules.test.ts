/**
 * Rule loading over fixture files: good rules load with ElastAlert 2's defaults and import
 * semantics; every broken rule is rejected with file:line and what to fix, and never stops the
 * other files from loading.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { catalogs } from '../../../src/app/catalogs.ts';
import { type GlobalConfig, parseGlobalConfig } from '../../../src/config/global-config.ts';
import { loadRuleFile } from '../../../src/compile/compile-rule.ts';
import { loadRules } from '../../../src/compile/load-rules.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/rules');
const logger = pino({ level: 'silent' });

function config(folder: string, extra: Record<string, unknown> = {}): GlobalConfig {
  const value = {
    rules_folder: folder,
    run_every: { minutes: 1 },
    buffer_time: { minutes: 15 },
    es_host: 'localhost',
    writeback_index: 'wb',
    ...extra,
  };
  return parseGlobalConfig(
    { file: 'config.yaml', value, locate: () => ({ file: 'config.yaml', line: 1 }) },
    { env: () => undefined },
  );
}

const ctx = (folder: string, extra?: Record<string, unknown>) => ({
  global: config(folder, extra),
  env: () => undefined,
  catalogs: catalogs(),
  logger,
});

describe('loading the good fixtures', () => {
  const loaded = loadRules(ctx(join(FIXTURES, 'good')));
  const byName = new Map(loaded.rules.map((r) => [r.name, r]));

  it('loads each rule once (the ConfigMap ..timestamp directory is skipped) and reports no errors', () => {
    expect(loaded.errors.map((e) => e.error.message)).toEqual([]);
    expect([...byName.keys()].sort()).toEqual(['Other event frequency rule', 'heartbeat', 'imports-base']);
    expect(loaded.disabled.map((r) => r.name)).toEqual(['switched-off']);
  });

  it("reads the seed article's rule the ElastAlert 2 way", () => {
    const r = byName.get('Other event frequency rule')!;
    expect(r.options.filters).toEqual([
      { query_string: { query: 'event.type: Warning NOT event.involvedObject.kind: Node' } },
    ]);
    expect(r.options.queryKey).toBe('event.involvedObject.name.keyword');
    expect(r.options.realertMs).toBe(5 * 60_000);
    expect(r.options.exponentialRealertMs).toBe(3_600_000);
    expect(r.options.timeframeMs).toBe(600_000);
    expect(r.options.bufferTimeMs).toBe(15 * 60_000);
    expect(r.options.runEveryMs).toBe(60_000);
    expect(r.options.maxQuerySize).toBe(10_000);
    expect(r.options.timestampField).toBe('@timestamp');
    expect(r.options.realertKey).toBe('Other event frequency rule');
    expect(r.definition.raw.alert_text_args).toHaveLength(7);
    expect(r.alerters.map((a) => a.type)).toEqual(['debug']);
  });

  it('applies imports: own keys win, filters are ANDed (imported first)', () => {
    const r = byName.get('imports-base')!;
    expect(r.options.index).toBe('eventrouter-%Y-%m-%d');
    expect(r.options.useStrftimeIndex).toBe(true);
    expect(r.options.realertMs).toBe(60_000);
    expect(r.options.filters).toEqual([
      { term: { 'event.type.keyword': 'Warning' } },
      { query_string: { query: 'event.reason: FailedScheduling' } },
    ]);
    expect(r.files.map((f) => relative(FIXTURES, f))).toEqual([
      'good/imports.yaml',
      'good/shared/base.yaml.inc',
    ]);
  });

  it('parses cron options and aggregation schedules at load', () => {
    const r = byName.get('heartbeat')!;
    expect(r.options.limitExecution?.expression).toBe('*/5 9-18 * * 1-5');
    expect(r.options.aggregation.kind).toBe('schedule');
    expect(r.options.realertMs).toBe(0); // aggregation set: realert defaults to 0
  });

  it('locates options in imported files', () => {
    const r = byName.get('imports-base')!;
    expect(r.locate(['filter', 0])).toMatchObject({
      file: join(FIXTURES, 'good/shared/base.yaml.inc'),
      line: 6,
    });
    // a loaded rule keeps the locations of its keys and list items, not the parsed file: a
    // deeper path resolves to its filter item (errors found while loading point deeper)
    expect(r.locate(['filter', 1, 'query_string', 'query'])).toMatchObject({
      file: join(FIXTURES, 'good/imports.yaml'),
      line: 7,
    });
    expect(r.locate(['alert'])).toMatchObject({ file: join(FIXTURES, 'good/imports.yaml'), line: 9 });
  });
});

describe('broken rule files', () => {
  const files = readdirSync(join(FIXTURES, 'bad')).filter((f) => f.endsWith('.bad.yaml'));

  it('there are at least 20 kinds of breakage', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });

  it.each(files)('%s is rejected with its file, line and what to fix', (name) => {
    const file = join(FIXTURES, 'bad', name);
    const text = readFileSync(file, 'utf8');
    const line = Number(/^# line: (\d+)/m.exec(text)![1]);
    const expectText = new RegExp(/^# expect: (.+)$/m.exec(text)![1]!);
    let message = '';
    try {
      loadRuleFile(file, ctx(join(FIXTURES, 'bad')));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message, 'the file must be rejected').not.toBe('');
    expect(message).toMatch(new RegExp(`${name.replace(/\./g, '\\.')}:${line}(:\\d+)?: `));
    expect(message).toMatch(expectText);
  });

  it('a folder with broken files still loads the good ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'esalert-rules-'));
    for (const f of files.slice(0, 5))
      writeFileSync(join(dir, f.replace('.bad', '')), readFileSync(join(FIXTURES, 'bad', f)));
    writeFileSync(join(dir, 'ok.yaml'), 'name: ok\ntype: any\nindex: x\nalert: debug\n');
    const loaded = loadRules(ctx(dir));
    expect(loaded.rules.map((r) => r.name)).toEqual(['ok']);
    expect(loaded.errors).toHaveLength(5);
  });

  it('rejects a duplicate rule name, naming both files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'esalert-rules-'));
    writeFileSync(join(dir, 'a.yaml'), 'name: same\ntype: any\nindex: x\nalert: debug\n');
    writeFileSync(join(dir, 'b.yaml'), 'name: same\ntype: any\nindex: y\nalert: debug\n');
    const loaded = loadRules(ctx(dir));
    expect(loaded.rules).toHaveLength(1);
    expect(loaded.errors[0]!.error.message).toMatch(
      /b\.yaml:1:1: duplicate rule name "same" \(already used by .*a\.yaml\)/,
    );
  });

  it('warns about unknown options with a suggestion, and about ElastAlert 2 options not supported yet', () => {
    const dir = mkdtempSync(join(tmpdir(), 'esalert-rules-'));
    writeFileSync(
      join(dir, 'w.yaml'),
      'name: w\ntype: frequency\nindex: x\nnum_events: 1\ntimeframe: {minutes: 1}\nnum_event: 2\njinja_filters: [my.filter]\nalert: debug\n',
    );
    const r = loadRules(ctx(dir)).rules[0]!;
    expect(r.warnings).toEqual([
      expect.stringMatching(/w\.yaml:6: unknown option "num_event" is ignored; did you mean "num_events"\?/),
      expect.stringMatching(/w\.yaml:7: option "jinja_filters" is not supported by esalert yet/),
    ]);
  });

  it('keeps the hints of misspelled keys when the file has errors, at the misspelled line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'esalert-rules-'));
    writeFileSync(
      join(dir, 'h.yaml'),
      'name: h\ntype: frequency\nindex: x\nnum_events: 5\ntimefame:\n  minutes: 5\nrealrt: {minutes: 1}\nalert: debug\n',
    );
    const { errors } = loadRules(ctx(dir));
    expect(errors[0]!.error.message.split('\n')).toEqual([
      expect.stringMatching(
        /h\.yaml:5:1: timefame is not an option; did you mean "timeframe"\? \(timeframe is required\)$/,
      ),
      expect.stringMatching(/h\.yaml:7:1: realrt is not an option; did you mean "realert"\?$/),
    ]);
  });

  it('dingtalk_secret, which the dingtalk alerter does not read, is suggested as dingtalk_sign', () => {
    const dir = mkdtempSync(join(tmpdir(), 'esalert-rules-'));
    writeFileSync(
      join(dir, 'd.yaml'),
      'name: d\ntype: any\nindex: x\nalert: dingtalk\ndingtalk_access_token: abc\ndingtalk_secret: SECabc\n',
    );
    expect(loadRules(ctx(dir)).rules[0]!.warnings).toEqual([
      expect.stringMatching(
        /d\.yaml:6: unknown option "dingtalk_secret" is ignored; did you mean "dingtalk_sign"\?/,
      ),
    ]);
    // the DingTalk plugin that signs with dingtalk_secret reads it: no warning
    writeFileSync(
      join(dir, 'd.yaml'),
      'name: d\ntype: any\nindex: x\nalert: elastalert_modules.dingtalk_alert.DingTalkAlerter\ndingtalk_access_token: abc\ndingtalk_secret: SECabc\n',
    );
    expect(loadRules(ctx(dir)).rules[0]!.warnings).toEqual([]);
  });

  it('config.yaml values are defaults a rule may override', () => {
    const dir = mkdtempSync(join(tmpdir(), 'esalert-rules-'));
    writeFileSync(join(dir, 'r.yaml'), 'name: r\ntype: any\nindex: x\nalert: debug\nmax_query_size: 50\n');
    const r = loadRules(ctx(dir, { max_query_size: 500, timestamp_field: 'ts' })).rules[0]!;
    expect(r.options.maxQuerySize).toBe(50);
    expect(r.options.timestampField).toBe('ts');
  });
});
