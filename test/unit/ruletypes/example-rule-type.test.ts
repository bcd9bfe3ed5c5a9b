/** The example custom rule type (modules/example_rule_type.ts), loaded from a rule as users load it. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { catalogs } from '../../../src/app/catalogs.ts';
import { createRuntimeRule } from '../../../src/engine/runtime-rule.ts';
import { loadRuleFile } from '../../../src/compile/compile-rule.ts';
import { testConfig } from '../../support/config.ts';
import type { Hit } from '../../../src/model/match.ts';

const ROOT = join(import.meta.dirname, '../../..');

function load(ruleText: string) {
  const dir = mkdtempSync(join(tmpdir(), 'esalert-example-'));
  const file = join(dir, 'rule.yaml');
  writeFileSync(file, ruleText);
  const global = testConfig({
    rules_folder: dir,
    run_every: { minutes: 1 },
    buffer_time: { minutes: 15 },
    es_host: 'localhost',
    writeback_index: 'wb',
  });
  return loadRuleFile(file, {
    global,
    env: () => undefined,
    catalogs: { ...catalogs(), moduleDirs: [ROOT] },
    logger: pino({ level: 'silent' }),
  });
}

const RULE = `
name: workload-probes
type: modules/example_rule_type.ts
index: eventrouter-*
filter:
  - term: {event.type.keyword: Warning}
min_pods: 3
timeframe: {minutes: 10}
alert: [debug]
`;

function hit(at: string, pod: string, reason = 'Unhealthy', ns = 'payments'): Hit {
  return {
    ts: Date.parse(at),
    doc: {
      '@timestamp': at,
      event: { reason, type: 'Warning', involvedObject: { kind: 'Pod', name: pod, namespace: ns } },
    },
  };
}

describe('example custom rule type: one reason on several pods of one workload', () => {
  it('loads from `type: modules/example_rule_type.ts` with its options, and matches', () => {
    const rule = load(RULE);
    expect(rule.type.name).toBe('workload_spread');
    expect(rule.warnings).toEqual([]);
    const rt = createRuntimeRule(rule);
    const t = rt.ruleType;
    t.addData([
      hit('2024-05-14T16:47:01Z', 'gateway-6xx7bsfc4l-dns9p'),
      hit('2024-05-14T16:47:05Z', 'gateway-6xx7bsfc4l-dns9p'),
      hit('2024-05-14T16:47:09Z', 'gateway-6xx7bsfc4l-pgkzj'),
      hit('2024-05-14T16:47:10Z', 'ledger-ls6z4shqnq-msggs'), // another workload
      hit('2024-05-14T16:47:11Z', 'gateway-6xx7bsfc4l-gwcxw', 'BackOff'), // another reason
    ]);
    expect(t.takeMatches()).toEqual([]);
    t.addData([hit('2024-05-14T16:47:12Z', 'gateway-6xx7bsfc4l-gwcxw')]);
    const [m, ...rest] = t.takeMatches();
    expect(rest).toEqual([]);
    expect(m).toMatchObject({
      '@timestamp': '2024-05-14T16:47:12Z',
      workload: 'payments/gateway',
      reason: 'Unhealthy',
      pods: ['gateway-6xx7bsfc4l-dns9p', 'gateway-6xx7bsfc4l-gwcxw', 'gateway-6xx7bsfc4l-pgkzj'],
    });
    expect(t.matchText(m!)).toBe(
      '3 pods of payments/gateway reported Unhealthy within 10 minutes: gateway-6xx7bsfc4l-dns9p, gateway-6xx7bsfc4l-gwcxw, gateway-6xx7bsfc4l-pgkzj\n\n',
    );
    // the group starts over after a match
    t.addData([hit('2024-05-14T16:47:20Z', 'gateway-6xx7bsfc4l-7p2mv')]);
    expect(t.takeMatches()).toEqual([]);
  });

  it('pods count for timeframe only', () => {
    const t = createRuntimeRule(load(RULE)).ruleType;
    t.addData([
      hit('2024-05-14T10:00:00Z', 'api-7c9f8d6b5q-aaaaa'),
      hit('2024-05-14T10:05:00Z', 'api-7c9f8d6b5q-bbbbb'),
    ]);
    t.garbageCollect(Date.parse('2024-05-14T10:10:00Z'));
    t.addData([hit('2024-05-14T10:10:30Z', 'api-7c9f8d6b5q-ccccc')]);
    expect(t.takeMatches()).toEqual([]);
    t.addData([hit('2024-05-14T10:11:00Z', 'api-7c9f8d6b5q-ddddd')]);
    expect(t.takeMatches()).toHaveLength(1);
  });

  it('reports its options at the rule line', () => {
    expect(() => load(RULE.replace('min_pods: 3', 'min_pods: one'))).toThrow(
      /min_pods.*whole number of pods/s,
    );
  });
});
