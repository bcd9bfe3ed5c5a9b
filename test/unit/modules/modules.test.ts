/** User modules: custom alerters, rule types and enhancements referenced from rules by path or dotted name. */
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogs } from '../../../src/app/catalogs.ts';
import { loadModuleExport, resolveModule } from '../../../src/modules/load-module.ts';
import { loadRuleFile } from '../../../src/compile/compile-rule.ts';
import { ownerOf } from '../../../modules/owner_workload.ts';
import { testConfig } from '../../support/config.ts';
import { type Receiver, startReceiver } from '../../integration/support/http-receiver.ts';

const ROOT = join(import.meta.dirname, '../../..');
const logger = pino({ level: 'silent' });

function load(ruleText: string) {
  const dir = mkdtempSync(join(tmpdir(), 'esalert-mod-'));
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
    logger,
  });
}

describe('module references', () => {
  it('resolves paths, path#export and dotted names', () => {
    expect(resolveModule('modules/feishu_alerter.ts', [ROOT])?.file).toBe(
      join(ROOT, 'modules/feishu_alerter.ts'),
    );
    expect(resolveModule('modules/feishu_alerter#FeishuAlerter', [ROOT])).toEqual({
      file: join(ROOT, 'modules/feishu_alerter.ts'),
      exportName: 'FeishuAlerter',
    });
    expect(resolveModule('modules.feishu_alerter.FeishuAlerter', [ROOT])).toEqual({
      file: join(ROOT, 'modules/feishu_alerter.ts'),
      exportName: 'FeishuAlerter',
    });
    expect(resolveModule('modules.nothing.Here', [ROOT])).toBeUndefined();
  });

  it('loads the default export, the only export, or the named one', () => {
    expect(loadModuleExport('modules/owner_workload.ts#default', [ROOT], 'enhancement')).toHaveProperty(
      'process',
    );
    expect(loadModuleExport('modules/feishu_alerter.ts', [ROOT], 'alerter')).toHaveProperty('create');
    expect(() => loadModuleExport('modules/feishu_alerter.ts#Nope', [ROOT], 'alerter')).toThrow(
      /has no export "Nope" \(exports: FeishuAlerter\)/,
    );
    expect(() => loadModuleExport('modules.missing.Thing', [ROOT], 'alerter')).toThrow(
      /alerter "modules.missing.Thing" not found/,
    );
  });
});

describe('a rule using modules', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver({ status: 200, body: { code: 0, msg: 'success' } });
  });
  afterAll(async () => {
    await receiver.close();
  });

  const rule = (url: string, extra = '') => `name: modular
type: any
index: eventrouter-*
alert:
  - modules.feishu_alerter.FeishuAlerter
feishu_webhook: ${url}
match_enhancements:
  - modules/owner_workload.ts
${extra}`;

  it('loads, enhances matches and sends through the custom alerter', async () => {
    const r = load(
      rule(
        `${receiver.url}/open-apis/bot/v2/hook/0f2a7c1e-5d3b-4c8a-9e6f-1a2b3c4d5e6f`,
        'feishu_secret: sign-me-please',
      ),
    );
    expect(r.alerters.map((a) => a.type)).toEqual(['feishu']);
    expect(r.enhancements.map((e) => e.name)).toEqual(['owner_workload']);

    const match = {
      event: { involvedObject: { kind: 'Pod', name: 'api-7c9f8d6b5-x2k4p', namespace: 'prod' } },
    };
    const enhanced = await r.enhancements[0]!.process(match, {
      rule: { name: 'modular', timestampField: '@timestamp', timezone: 'UTC', options: {} },
    });
    expect(enhanced).toMatchObject({ owner_workload: 'prod/api', owner_kind: 'Deployment' });

    const outcome = await r.alerters[0]!.send(
      {
        ruleName: 'modular',
        options: {},
        matches: [match],
        title: 'modular',
        body: 'api crashed',
        matchTexts: [],
      },
      AbortSignal.timeout(5000),
    );
    expect(outcome).toEqual({ ok: true });
    const body = receiver.received.at(-1)!.json as {
      msg_type: string;
      content: { text: string };
      timestamp: string;
      sign: string;
    };
    expect(body.msg_type).toBe('text');
    expect(body.content.text).toBe('modular\napi crashed');
    expect(body.sign).toBe(
      createHmac('sha256', `${body.timestamp}\nsign-me-please`).update('').digest('base64'),
    );
  });

  it("classifies the module's failures as it reports them", async () => {
    const r = load(rule(`${receiver.url}/open-apis/bot/v2/hook/x`));
    receiver.script(
      { status: 200, body: { code: 9499, msg: 'too many requests' } },
      { status: 200, body: { code: 19024, msg: 'Key Words Not Found' } },
    );
    const send = () =>
      r.alerters[0]!.send(
        { ruleName: 'm', options: {}, matches: [], title: 't', body: 'b', matchTexts: [] },
        AbortSignal.timeout(5000),
      );
    expect(await send()).toMatchObject({ ok: false, retryable: true });
    expect(await send()).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringContaining('19024'),
    });
  });

  it("reports a module's option error at the option's line, and the alerter fails what it is given", async () => {
    const r = load(rule('not-a-url'));
    expect(r.warnings).toEqual([
      expect.stringMatching(/rule\.yaml:6:1: feishu_webhook must be the robot webhook URL/),
    ]);
    const sent = await r.alerters[0]!.send(
      { ruleName: 'm', options: {}, matches: [], title: 't', body: 'b', matchTexts: [] },
      AbortSignal.timeout(5000),
    );
    expect(sent).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringContaining('feishu_webhook'),
    });
  });

  it('reports a missing module, and a module of the wrong shape, at the line that names it', () => {
    expect(() =>
      load(rule('http://x').replace('modules/owner_workload.ts', 'modules/nothing_here.ts')),
    ).toThrow(/rule\.yaml:8:\d+: match_enhancements\[0\]: enhancement "modules\/nothing_here\.ts" not found/);
    expect(() =>
      load(
        rule('http://x').replace('modules.feishu_alerter.FeishuAlerter', 'modules/owner_workload.ts#ownerOf'),
      ),
    ).toThrow(/must export an alerter definition/);
  });
});

describe('owner of a pod', () => {
  it.each([
    ['api-7c9f8d6b5-x2k4p', 'api', 'Deployment'],
    ['web-btwdpqwsqq-7gthk', 'web', 'Deployment'],
    ['es-data-2', 'es-data', 'StatefulSet'],
    ['heartbeat-28591234-bcdfg', 'heartbeat', 'CronJob'],
    ['migrate-x7k2p', 'migrate', 'Job'],
    ['standalone', 'standalone', 'Pod'],
  ])('%s -> %s (%s)', (pod, owner, kind) => {
    expect(ownerOf(pod)).toEqual({ owner, kind });
  });
});
