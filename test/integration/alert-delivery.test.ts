/**
 * Alerts that arrive, end to end: real Elasticsearch, the engine, and robot-compatible
 * receivers on 127.0.0.1 (DingTalk and WeCom reply with errcode inside HTTP 200).
 */
import { createHmac } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pythonFormat } from '../../src/format/python-format.ts';
import { startApp } from '../../src/app/app.ts';
import { FakeClock } from '../../src/model/clock.ts';
import { SecretRegistry } from '../../src/app/logger.ts';
import type { EsConnection } from '../../src/query/es-client.ts';
import { lookupField } from '../../src/model/lookup.ts';
import { connectTestEs, esHostPort, testEs, uniqueName } from './helpers.ts';
import { type Receiver, startReceiver } from './support/http-receiver.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';

const silent = pino({ level: 'silent' });
const noEnv = () => undefined;
const ok = { status: 200, body: { errcode: 0, errmsg: 'ok' } };

/** The rule from the seed article (its numbers restored), unchanged otherwise: the DingTalk plugin, alert_text_args. */
const SEED_ALERT_TEXT =
  '\n====elastalert message====\n EventTime>>: {}\n Event_involvedObject_name>>: {}\n Event_involvedObject_kind>>: {}\n Event_involvedObject_namespace>>: {}\n Message>>: {}\n Event_reason>>: {}\n verb>>: {}\n';
const SEED_ARGS = [
  '@timestamp',
  'event.involvedObject.name',
  'event.source.component',
  'event.involvedObject.namespace',
  'event.message',
  'event.reason',
  'verb',
];
const seedRule = (alert: Record<string, unknown>) => `
# Alert when the rate of events exceeds a threshold
name: Other event frequency rule
type: frequency
index: eventrouter-*
num_events: 5
timeframe:
  minutes: 10
filter:
- query:
    query_string:
      query: "event.type: Warning NOT event.involvedObject.kind: Node"
realert:
  minutes: 5
exponential_realert:
  hours: 1
${Object.entries(alert)
  .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
  .join('\n')}
alert_text_type: alert_text_only
alert_text: ${JSON.stringify(SEED_ALERT_TEXT)}
alert_text_args:
${SEED_ARGS.map((a) => `  - "${a}"`).join('\n')}
`;

describe('alert delivery end to end', () => {
  let es: EsConnection;
  let receiver: Receiver;
  let ws: Workspace;
  let wb: string;
  const manifest = () => testEs().corpus.manifest;

  beforeAll(async () => {
    es = await connectTestEs();
  });
  afterAll(async () => {
    await es.close();
  });
  afterEach(async () => {
    await receiver.close();
    ws.remove();
    await es.client.indices.delete({ index: `${wb}*` }).catch(() => {});
  });

  const setup = async (fallback = ok) => {
    receiver = await startReceiver(fallback);
    wb = uniqueName('esalert_delivery');
    ws = makeWorkspace({
      ...esHostPort(),
      run_every: { minutes: 1 },
      buffer_time: { minutes: 15 },
      writeback_index: wb,
      alert_retry: { attempts: 5, delay: { milliseconds: 100 }, max_delay: { milliseconds: 300 } },
    });
  };
  const backfill = async (start = manifest().start, end = manifest().end) => {
    const app = await startApp(
      { configFile: ws.config, start, end },
      {
        env: noEnv,
        clock: new FakeClock('2024-05-15T01:00:00Z'),
        logger: silent,
        secrets: new SecretRegistry(),
      },
    );
    await app.finished;
    await app.stop();
    return app;
  };
  /**
   * A backfill whose burst of alerts all queue up behind the robot's first message: the receiver
   * holds that answer until the writeback index records `alerts` alerts, so the channel folds what
   * waits however fast this machine produced it (speed is not what is under test).
   */
  const backfillBurst = async (alerts: number, start: string, end: string) => {
    receiver.script({ ...ok, hold: true });
    const running = backfill(start, end);
    const recorded = async () => (await es.client.count({ index: wb }).catch(() => ({ count: 0 }))).count;
    const deadline = Date.now() + 240_000;
    while ((receiver.holding() < 1 || (await recorded()) < alerts) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(receiver.holding(), 'the first message waits for its answer').toBe(1);
    expect(await recorded()).toBe(alerts);
    receiver.release();
    return running;
  };
  const alertDocs = async () => {
    await es.client.indices.refresh({ index: wb });
    return (
      await es.client.search<{
        match_body: Record<string, unknown>;
        alert_sent: boolean;
        alert_info: unknown;
      }>({ index: wb, size: 100 })
    ).hits.hits.map((h) => h._source!);
  };

  it("the seed article's rule delivers its alert_text through the DingTalk plugin, unchanged", async () => {
    await setup();
    ws.writeRule(
      'seed.yaml',
      seedRule({
        alert: ['elastalert_modules.dingtalk_alert.DingTalkAlerter'],
        dingtalk_webhook: `${'http://127.0.0.1'}:${0}`,
        dingtalk_msgtype: 'text',
      }).replace('http://127.0.0.1:0', `${receiver.url}/robot/send?access_token=47194e6904c6e3133a90`),
    );
    const app = await backfill();
    expect(app.loaded.errors).toEqual([]);
    // realert is measured on the clock: one alert in a backfill
    expect(receiver.received).toHaveLength(1);
    const [doc] = await alertDocs();
    // ElastAlert 2 pads the text to end with a blank line
    const expected = `${pythonFormat(
      SEED_ALERT_TEXT,
      SEED_ARGS.map((a) => lookupField(doc!.match_body, a)),
    )}\n`;
    expect(receiver.received[0]!.json).toEqual({
      msgtype: 'text',
      text: { content: expected },
      at: { isAtAll: false },
    });
    expect(expected).toContain('Message>>: ');
    expect(receiver.received[0]!.path).toBe('/robot/send?access_token=47194e6904c6e3133a90');
    expect(doc!.alert_sent).toBe(true);
    expect(JSON.stringify(doc)).not.toContain('47194e6904c6e3133a90');
  });

  it('signs every DingTalk request, and an alert answered 130101 twice arrives exactly once', async () => {
    await setup();
    const secret = 'SEC0123456789abcdef0123456789abcdef';
    ws.writeRule(
      'seed.yaml',
      seedRule({
        alert: ['dingtalk'],
        dingtalk_webhook: `${receiver.url}/robot/send?access_token=tok123456789`,
        dingtalk_sign: secret,
      }),
    );
    const tooFast = {
      status: 200,
      body: { errcode: 130101, errmsg: 'send too fast, exceed 20 times per minute' },
    };
    receiver.script(tooFast, tooFast);
    await backfill();
    expect(receiver.received).toHaveLength(3);
    for (const r of receiver.received) {
      const url = new URL(r.path, receiver.url);
      const ts = url.searchParams.get('timestamp')!;
      expect(Math.abs(Date.now() - Number(ts))).toBeLessThan(120_000);
      const sign = createHmac('sha256', secret).update(`${ts}\n${secret}`).digest('base64');
      expect(url.searchParams.get('sign')).toBe(sign);
    }
    const [first, second, third] = receiver.received;
    expect(second!.body).toBe(first!.body);
    expect(third!.body).toBe(first!.body);
    const docs = await alertDocs();
    expect(docs).toHaveLength(1);
    expect(docs[0]!.alert_sent).toBe(true);
    expect(JSON.stringify(docs[0])).not.toContain(secret);
  });

  it('100 matches queued for a WeCom robot reach it as at most 20 messages that carry all 100', async () => {
    await setup();
    const index = uniqueName('oomkills');
    const at = Date.parse('2024-05-14T10:00:00Z');
    await es.client.bulk({
      refresh: true,
      operations: Array.from({ length: 100 }, (_, i) => [
        { index: { _index: index } },
        {
          '@timestamp': new Date(at + i * 500).toISOString(),
          event: {
            reason: 'OOMKilling',
            involvedObject: { kind: 'Pod', name: `batch-job-${i}` },
            message: `Memory cgroup out of memory: Killed process ${1000 + i} "worker"`,
          },
        },
      ]).flat(),
    });
    ws.writeRule('oom.yaml', {
      name: 'oom-kills',
      type: 'any',
      index,
      realert: { minutes: 0 },
      alert: ['wecom'],
      wecom_webhook: `${receiver.url}/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa`,
      wecom_msgtype: 'markdown',
      alert_text: 'Pod {} OOM-killed: {}',
      alert_text_args: ['event.involvedObject.name', 'event.message'],
      alert_text_type: 'alert_text_only',
    });
    await backfillBurst(100, '2024-05-14T09:59:00Z', '2024-05-14T10:01:00Z');
    await es.client.indices.delete({ index });
    expect(receiver.received.length).toBeGreaterThan(1);
    expect(receiver.received.length).toBeLessThanOrEqual(20);
    const text = receiver.received
      .map((r) => (r.json as { markdown: { content: string } }).markdown.content)
      .join('\n');
    for (let i = 0; i < 100; i++) expect(text).toContain(`Pod batch-job-${i} OOM-killed`);
    for (const r of receiver.received)
      expect(
        Buffer.byteLength((r.json as { markdown: { content: string } }).markdown.content),
      ).toBeLessThanOrEqual(4096);
    const docs = await alertDocs();
    expect(docs).toHaveLength(100);
    expect(docs.every((d) => d.alert_sent)).toBe(true);
  }, 300_000);

  it("with k8s_digest_by_workload, a burst of one Deployment's unschedulable pods reaches WeCom folded by workload", async () => {
    await setup();
    const index = uniqueName('unschedulable');
    const at = Date.parse('2024-05-14T10:00:00Z');
    const safe = 'bcdfghjklmnpqrstvwxz2456789';
    const suffix = (i: number) =>
      Array.from(
        { length: 5 },
        (_, k) => safe[Math.floor((i * 7919 + 12_345) / safe.length ** k) % safe.length],
      ).join('');
    const pods = [
      ...Array.from({ length: 60 }, (_, i) => `indexer-859d7b6c4f-${suffix(i)}`),
      ...Array.from({ length: 6 }, (_, i) => `es-data-${i}`),
    ];
    await es.client.bulk({
      refresh: true,
      operations: pods.flatMap((name, i) => [
        { index: { _index: index } },
        {
          '@timestamp': new Date(at + i * 500).toISOString(),
          event: {
            reason: 'FailedScheduling',
            type: 'Warning',
            involvedObject: { kind: 'Pod', namespace: 'search', name },
            message: '0/6 nodes are available: 3 Insufficient cpu.',
          },
        },
      ]),
    });
    ws.writeRule('unschedulable.yaml', {
      name: 'unschedulable',
      type: 'any',
      index,
      realert: { minutes: 0 },
      k8s_digest_by_workload: true,
      alert: ['wecom'],
      wecom_webhook: `${receiver.url}/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa`,
      wecom_msgtype: 'markdown',
      alert_text: 'Pod {} cannot be scheduled: {}',
      alert_text_args: ['event.involvedObject.name', 'event.message'],
      alert_text_type: 'alert_text_only',
    });
    await backfillBurst(pods.length, '2024-05-14T09:59:00Z', '2024-05-14T10:02:00Z');
    await es.client.indices.delete({ index });
    const contents = receiver.received.map(
      (r) => (r.json as { markdown: { content: string } }).markdown.content,
    );
    expect(contents.length).toBeGreaterThan(0);
    expect(contents.length).toBeLessThanOrEqual(20);
    const text = contents.join('\n');
    expect(text).toMatch(
      /indexer-859d7b6c4f-\w{5} and \d+ other pods of Deployment search\/indexer: FailedScheduling/,
    );
    // every pod is named, but far fewer texts are repeated than there are pods: what queued behind
    // the first message folds by workload, unless it fits the minute's remaining budget, when it goes
    // one by one (at most 19 of them, so how the burst met the first message does not matter)
    for (const pod of pods) expect(text).toContain(pod);
    expect(text.match(/cannot be scheduled/g)!.length).toBeLessThan(pods.length / 2);
    for (const c of contents) expect(Buffer.byteLength(c)).toBeLessThanOrEqual(4096);
    const docs = await alertDocs();
    expect(docs).toHaveLength(pods.length);
    expect(docs.every((d) => d.alert_sent)).toBe(true);
  }, 300_000);
});
