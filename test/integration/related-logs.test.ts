/**
 * related_logs against the real Elasticsearch: the generated container logs (test/corpus/logs.ts)
 * loaded beside the event corpus in both field layouts (fluentd/fluent-bit and Filebeat ECS, with
 * Elasticsearch's dynamic mapping: text + .keyword), a rule on the crash-looping pod's BackOff
 * events run by the app, and real HTTP receivers (the `post` webhook and a DingTalk robot). The
 * lines each alert must carry are worked out here from the generated lines, not by the code
 * under test.
 */
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../../src/app/app.ts';
import { SecretRegistry } from '../../src/app/logger.ts';
import { FakeClock } from '../../src/model/clock.ts';
import type { EsConnection } from '../../src/query/es-client.ts';
import { generateAll } from '../corpus/generator.ts';
import type { CorpusDoc } from '../corpus/kube.ts';
import { containerLogLines, generateLogs, type LogLayout, type LogLine } from '../corpus/logs.ts';
import { connectTestEs, esHostPort, testEs, uniqueName } from './helpers.ts';
import { type Receiver, startReceiver } from './support/http-receiver.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';

const silent = pino({ level: 'silent' });
const MIN = 60_000;
const WINDOW_MIN = 10;

interface Posted {
  related_logs?: string;
  related_logs_count?: number;
  related_logs_source?: string;
  pod_discover_url?: string;
  related_logs_discover_url?: string;
  event: { lastTimestamp: string; reason: string; involvedObject: { name: string } };
}

describe('related_logs end to end', () => {
  let es: EsConnection;
  let events: CorpusDoc[];
  let lines: LogLine[];
  const indices: Record<LogLayout, string> = { fluentd: '', ecs: '' };
  let post: Receiver;
  let robot: Receiver;
  let ws: Workspace;
  let wb: string;

  beforeAll(async () => {
    es = await connectTestEs();
    events = generateAll(testEs().corpus.options).docs;
    lines = containerLogLines(events);
    for (const layout of ['fluentd', 'ecs'] as const) {
      indices[layout] = uniqueName(`k8s-logs-${layout}`);
      const docs = generateLogs(events, layout);
      for (let i = 0; i < docs.length; i += 5000)
        await es.client.bulk({
          operations: docs
            .slice(i, i + 5000)
            .flatMap((d) => [{ create: { _index: indices[layout], _id: d._id } }, d._source]),
        });
      await es.client.indices.refresh({ index: indices[layout] });
    }
  }, 600_000);
  afterAll(async () => {
    await es.client.indices.delete({ index: Object.values(indices).join(',') }).catch(() => {});
    await es.close();
  });
  afterEach(async () => {
    await post.close();
    await robot.close();
    ws.remove();
    await es.client.indices.delete({ index: `${wb}*` }).catch(() => {});
  });

  /** The crash-looping pod's BackOff events in the first minutes of its loop, and the app run over them. */
  const run = async (relatedLogs: Record<string, unknown>) => {
    post = await startReceiver({ status: 200, body: 'ok' });
    robot = await startReceiver({ status: 200, body: { errcode: 0, errmsg: 'ok' } });
    wb = uniqueName('esalert_logs');
    ws = makeWorkspace({
      ...esHostPort(),
      run_every: { minutes: 1 },
      buffer_time: { minutes: 15 },
      writeback_index: wb,
    });
    const loop = testEs().corpus.manifest.crashLoops[0]!;
    const from = Date.parse(loop.from);
    const to = from + 6 * MIN;
    ws.writeRule('crashloop-logs.yaml', {
      name: 'crashloop logs',
      type: 'any',
      index: 'eventrouter-*',
      filter: [
        {
          query_string: {
            query: `event.reason: BackOff AND event.involvedObject.name.keyword: "${loop.pod}"`,
          },
        },
      ],
      realert: { minutes: 0 },
      alert: ['post', 'dingtalk'],
      http_post_url: `${post.url}/alert`,
      dingtalk_webhook: `${robot.url}/robot/send?access_token=abc`,
      dingtalk_msgtype: 'text',
      generate_kibana_discover_url: true,
      kibana_discover_app_url: 'https://kibana.example.com/app/discover#/',
      kibana_discover_version: '8.17',
      kibana_discover_index_pattern_id: 'eventrouter',
      related_logs: { window: { minutes: WINDOW_MIN }, ...relatedLogs },
    });
    const expected = events.filter(
      (e) =>
        e._source.event.reason === 'BackOff' &&
        e._source.event.involvedObject.name === loop.pod &&
        Date.parse(e._source['@timestamp']) >= from &&
        Date.parse(e._source['@timestamp']) <= to,
    );
    const app = await startApp(
      { configFile: ws.config, start: new Date(from).toISOString(), end: new Date(to).toISOString() },
      {
        env: () => undefined,
        clock: new FakeClock(to + 60 * MIN),
        logger: silent,
        secrets: new SecretRegistry(),
      },
    );
    await app.finished;
    await app.stop();
    expect(app.loaded.errors).toEqual([]);
    expect(expected.length).toBeGreaterThan(2);
    expect(post.received).toHaveLength(expected.length);
    expect(robot.received).toHaveLength(expected.length);
    return { loop, posted: post.received.map((r) => r.json as Posted) };
  };

  /** The last lines before the event, from the generated lines themselves. */
  const lastLines = (pod: string, container: string, eventTime: string) => {
    const at = Date.parse(eventTime);
    return lines
      .filter(
        (l) => l.pod === pod && l.container === container && l.at <= at && l.at >= at - WINDOW_MIN * MIN,
      )
      .slice(-20)
      .map((l) => l.text);
  };

  for (const layout of ['fluentd', 'ecs'] as const) {
    it(`${layout} layout: each BackOff alert carries the container's last lines before the event`, async () => {
      const { loop, posted } = await run({ index: indices[layout], layout, kibana_index_pattern_id: 'logs' });
      for (const p of posted) {
        const want = lastLines(loop.pod, loop.container, p.event.lastTimestamp);
        expect(want.length).toBeGreaterThan(0);
        expect(p.related_logs).toBe(want.join('\n'));
        expect(p.related_logs_count).toBe(want.length);
        expect(p.related_logs_source).toBe(`${loop.namespace}/${loop.pod}, container ${loop.container}`);
        // the crash is what the on-call person needs to see
        expect(p.related_logs).toMatch(/panic: cannot start .* without its database/);
        // Discover, filtered to the pod (its events, and its container's lines) over the window
        const events = decodeURIComponent(p.pod_discover_url!);
        expect(events).toContain(
          `key:event.involvedObject.name,negate:!f,params:(query:${loop.pod},type:phrase)`,
        );
        expect(events).toContain(
          `from:'${new Date(Date.parse(p.event.lastTimestamp) - WINDOW_MIN * MIN).toISOString().replace('.000Z', 'Z')}'`,
        );
        const logs = decodeURIComponent(p.related_logs_discover_url!);
        expect(logs).toContain('index:logs');
        expect(logs).toContain(`params:(query:${loop.pod},type:phrase)`);
        expect(logs).toContain(`params:(query:${loop.container},type:phrase)`);
      }
      // the DingTalk text shows the lines as a code block under a heading, not as a field
      const text = (robot.received[0]!.json as { text: { content: string } }).text.content;
      const want = lastLines(loop.pod, loop.container, posted[0]!.event.lastTimestamp);
      expect(text).toContain(
        `Last ${want.length} log lines of ${loop.namespace}/${loop.pod}, container ${loop.container}:\n\`\`\`\n${want.join('\n')}\n\`\`\`\n`,
      );
      expect(text).not.toMatch(/^related_logs: /m);
    });
  }

  it('one line when no log lines are found', async () => {
    const index = `${uniqueName('nothing-here')}-*`;
    const { loop, posted } = await run({ index, layout: 'fluentd' });
    for (const p of posted) {
      expect(p.related_logs_count).toBe(0);
      expect(p.related_logs).toBe(
        `No log lines found for ${loop.namespace}/${loop.pod}, container ${loop.container} in the 0:10:00 before the event (${index}).`,
      );
    }
    const text = (robot.received[0]!.json as { text: { content: string } }).text.content;
    expect(text).toContain(`\nNo log lines found for ${loop.namespace}/${loop.pod}`);
    expect(text).not.toContain('```');
  });
});
