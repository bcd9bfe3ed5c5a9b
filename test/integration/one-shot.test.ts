/**
 * A one-shot run (`esalert run --start --end`, a real process) ends with its work done: alerts
 * queued behind a DingTalk robot that answers 130101 ("sending too fast") go out once the robot
 * takes them again, each once, before the process exits 0. Alerts still unsent when
 * --deliver-timeout ends are listed, stay unsent in the writeback index, and the exit code is 2.
 */
import { describe, expect, inject, it } from 'vitest';
import { crashloopRule } from '../support/rules.ts';
import { esHostPort, testEs, uniqueName } from './helpers.ts';
import { runCli } from './support/cli.ts';
import { type Receiver, startReceiver } from './support/http-receiver.ts';
import { testEsHooks } from './support/test-es-hooks.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';

const ok = { status: 200, body: { errcode: 0, errmsg: 'ok' } };
const tooFast = {
  status: 200,
  body: { errcode: 130101, errmsg: 'send too fast, exceed 20 times per minute' },
};

// What is tested is delivery at the robot's pace (two real 60 s retry-afters), the same on every
// server: it runs against one.
describe.skipIf(inject('server') !== 'es8')('a one-shot run and a rate-limited DingTalk robot', () => {
  const hooks = testEsHooks();
  let receiver: Receiver;
  let ws: Workspace;
  let wb: string;

  const setup = async () => {
    receiver = await startReceiver(ok);
    hooks.cleanup.push(() => receiver.close());
    wb = uniqueName('esalert_oneshot');
    hooks.cleanup.push(() => hooks.es.client.indices.delete({ index: `${wb}*` }).catch(() => {}));
    // the default alert_retry: DingTalk's 130101 is retried after the minute the robot asks for
    ws = makeWorkspace({
      ...esHostPort(),
      run_every: { minutes: 1 },
      buffer_time: { minutes: 15 },
      writeback_index: wb,
    });
    hooks.cleanup.push(() => ws.remove());
    ws.writeRule(
      'crashloop.yaml',
      crashloopRule({
        alert: ['dingtalk'],
        dingtalk_webhook: `${receiver.url}/robot/send?access_token=tok0123456789`,
        // one line per alert, so that what arrived can be counted per pod (digests hold several)
        alert_text: 'crashloop of pod {}',
        alert_text_args: ['event.involvedObject.name'],
        alert_text_type: 'alert_text_only',
      }),
    );
  };
  const m = () => testEs().corpus.manifest;
  const pods = () => m().crashLoops.map((c) => c.pod);
  const oneShot = (...extra: string[]) =>
    runCli(['run', '--config', ws.config, '--start', m().start, '--end', m().end, ...extra]);
  const alertDocs = async () => {
    await hooks.es.client.indices.refresh({ index: `${wb}*` });
    const r = await hooks.es.client.search<{ rule_name: string; alert_sent: boolean }>({
      index: `${wb}*`,
      size: 1000,
      query: { term: { rule_name: 'crashloop' } },
    });
    return r.hits.hits.map((h) => h._source!).filter((d) => 'alert_sent' in d);
  };
  // pod names are [a-z0-9-]: no regular expression syntax in them
  const alertOf = (pod: string) => new RegExp(`crashloop of pod ${pod}(?![\\w-])`, 'g');
  const text = (r: Receiver['received'][number]) => (r.json as { text: { content: string } }).text.content;

  it('the robot answers 130101 twice: every alert is delivered before the run exits, each once', async () => {
    await setup();
    receiver.script(tooFast, tooFast);
    const run = oneShot();
    expect(await run.exited, run.output()).toBe(0);

    // the first message was refused twice and sent again; what the robot took carries each pod once
    expect(receiver.received.length).toBeGreaterThanOrEqual(3);
    expect(text(receiver.received[1]!)).toBe(text(receiver.received[0]!));
    const taken = receiver.received.slice(2).map(text).join('\n');
    for (const pod of pods()) expect(taken.match(alertOf(pod))?.length ?? 0, pod).toBe(1);
    const docs = await alertDocs();
    expect(docs).toHaveLength(pods().length);
    expect(docs.every((d) => d.alert_sent)).toBe(true);
    expect(run.output()).not.toContain('not delivered');
  }, 600_000);

  it('alerts still queued when --deliver-timeout ends are listed, kept unsent, and the exit code is 2', async () => {
    await setup();
    receiver.fallback = tooFast;
    const run = oneShot('--deliver-timeout', '3', '--shutdown-timeout', '1');
    expect(await run.exited, run.output()).toBe(2);
    const n = pods().length;
    expect(run.output()).toContain(
      `esalert: ${n} alert(s) not delivered by the end of the run; kept unsent in the writeback index for the next start:`,
    );
    const listed = run
      .output()
      .split('\n')
      .filter((l) => l.startsWith('  crashloop -> dingtalk (alert '));
    expect(listed).toHaveLength(n);
    const docs = await alertDocs();
    expect(docs).toHaveLength(n);
    expect(docs.every((d) => !d.alert_sent)).toBe(true);
  }, 600_000);
});
