/**
 * The generic webhook against a real HTTP receiver: kube-eventer style JSON bodies whose values
 * (event messages with quotes, newlines, backslashes) are escaped automatically, the template
 * variables, the default body, bodies that do not render to JSON, and header secrets.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OptionProblem } from '../../../src/alerters/alerter.ts';
import { webhookAlerter } from '../../../src/alerters/webhook.ts';
import type { Doc } from '../../../src/model/lookup.ts';
import { type Receiver, startReceiver } from '../../integration/support/http-receiver.ts';
import { alertContent, captureLog, deps, signal } from './support/alert-content.ts';

const EVENT = {
  '@timestamp': '2024-05-14T03:21:09.512Z',
  verb: 'UPDATED',
  event: {
    type: 'Warning',
    reason: 'BackOff',
    involvedObject: { kind: 'Pod', namespace: 'prod', name: 'api-7c9f8d6b5-x2k4p' },
    lastTimestamp: '2024-05-14T03:21:08Z',
    count: 37,
    message:
      'Back-off restarting failed container "api"\nexit code 137: C:\\app\\run.sh said {"oops": true}\ttab',
  },
};
const RULE = {
  name: 'pod-backoff',
  type: 'any',
  alert_text: 'Pod {0} backing off',
  alert_text_args: ['event.involvedObject.name'],
  alert_text_type: 'alert_text_only',
};
const SEPARATOR = '\n----------------------------------------\n';

let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver({ status: 200, body: 'ok' });
});
afterAll(() => rx.close());
beforeEach(() => {
  rx.received.length = 0;
});

async function sendOne(options: Doc, matches: Doc[] = [EVENT], log = captureLog()) {
  const rule = { ...RULE, webhook_url: `${rx.url}/hook`, ...options };
  const alerter = webhookAlerter.create(rule, deps(log));
  const outcome = await alerter.send(alertContent(rule, matches), signal());
  return { outcome, request: rx.received.at(-1), alerter, log };
}

describe('bodies', () => {
  it('kube-eventer default template: a message with quotes, newlines and backslashes stays valid JSON', async () => {
    const { outcome, request } = await sendOne({
      webhook_body:
        '{"EventType":"{{ event.type }}","EventKind":"{{ event.involvedObject.kind }}","EventReason":"{{ event.reason }}","EventTime":"{{ event.lastTimestamp }}","EventMessage":"{{ event.message }}"}',
    });
    expect(outcome).toEqual({ ok: true });
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.json).toEqual({
      EventType: 'Warning',
      EventKind: 'Pod',
      EventReason: 'BackOff',
      EventTime: '2024-05-14T03:21:08Z',
      EventMessage: EVENT.event.message,
    });
  });

  it('a DingTalk robot body through the webhook, with tz and datetimeformat filters', async () => {
    const { request } = await sendOne({
      webhook_body: `{"msgtype": "text", "text": {"content": "[{{ rule }}] {{ event.involvedObject.namespace }}/{{ event.involvedObject.name }}\\n{{ event.reason }} x{{ event.count }} at {{ event.lastTimestamp | datetimeformat('%Y-%m-%d %H:%M:%S', 'Asia/Shanghai') }} ({{ event.lastTimestamp | tz('Asia/Shanghai') }})\\n{{ event.message }}"}}`,
    });
    expect(request!.json).toEqual({
      msgtype: 'text',
      text: {
        content: `[pod-backoff] prod/api-7c9f8d6b5-x2k4p\nBackOff x37 at 2024-05-14 11:21:08 (2024-05-14T11:21:08+08:00)\n${EVENT.event.message}`,
      },
    });
  });

  it('variables: matches, rule, title, body, and everything under _data or jinja_root_name', async () => {
    const second = { ...EVENT, verb: 'ADDED' };
    const { request } = await sendOne(
      {
        jinja_root_name: 'doc',
        webhook_body:
          '{"n": {{ matches | length }}, "verbs": [{% for m in matches %}"{{ m.verb }}"{% if not loop.last %}, {% endif %}{% endfor %}], "rule": "{{ rule }}", "title": "{{ title }}", "body": "{{ body }}", "root": "{{ doc.event.reason }}/{{ doc.rule }}", "first": {{ matches[0].event.count }}}',
      },
      [EVENT, second],
    );
    expect(request!.json).toEqual({
      n: 2,
      verbs: ['UPDATED', 'ADDED'],
      rule: 'pod-backoff',
      title: 'pod-backoff',
      body: `Pod api-7c9f8d6b5-x2k4p backing off\n\n${SEPARATOR}Pod api-7c9f8d6b5-x2k4p backing off\n\n${SEPARATOR}`,
      root: 'BackOff/pod-backoff',
      first: 37,
    });
  });

  it('objects print as escaped JSON text inside strings, and as JSON with tojson', async () => {
    const { request } = await sendOne({
      webhook_body:
        '{"as_text": "{{ event.involvedObject }}", "as_json": {{ event.involvedObject | tojson }}}',
    });
    expect(request!.json).toEqual({
      as_text: JSON.stringify(EVENT.event.involvedObject),
      as_json: EVENT.event.involvedObject,
    });
  });

  it('without webhook_body: rule, title, text and the matches as JSON', async () => {
    const { request } = await sendOne({});
    expect(request!.json).toEqual({
      rule: 'pod-backoff',
      title: 'pod-backoff',
      text: 'Pod api-7c9f8d6b5-x2k4p backing off\n\n',
      matches: [EVENT],
    });
  });

  it('a non-JSON Content-Type renders plain text, nothing escaped', async () => {
    const { request } = await sendOne({
      webhook_headers: { 'content-type': 'text/plain; charset=utf-8' },
      webhook_body: '{{ event.reason }}: {{ event.message }}',
    });
    expect(request!.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(request!.body).toBe(`BackOff: ${EVENT.event.message}`);
  });

  it('a body that does not render to JSON is a permanent failure and nothing is sent', async () => {
    const { outcome, request } = await sendOne({ webhook_body: '{"count": {{ event.missing }}}' });
    expect(request).toBeUndefined();
    expect(outcome).toMatchObject({ ok: false, retryable: false });
    if (!outcome.ok) expect(outcome.reason).toMatch(/^webhook_body: the rendered text is not valid JSON/);
  });

  it('a template that does not compile is refused at load with its position', () => {
    const create = () =>
      webhookAlerter.create(
        { ...RULE, webhook_url: rx.url, webhook_body: '{"a": "{{ event.reason }"}' },
        deps(captureLog()),
      );
    expect(create).toThrow(OptionProblem);
    expect(create).toThrow(/^is not a valid template: line 1, column \d+: /);
  });
});

describe('requests', () => {
  it('method, headers, and secrets in headers or the URL path never shown', async () => {
    const token = 'Bearer s3cr3t-t0ken-abcdef123456';
    const url = `${rx.url}/open-apis/bot/v2/hook/0b8c1d2e-3f4a-5b6c-7d8e-9f0a1b2c3d4e`;
    const log = captureLog();
    const alerter = webhookAlerter.create(
      {
        ...RULE,
        webhook_url: url,
        webhook_method: 'put',
        webhook_headers: { Authorization: token, 'X-Cluster': 'prod' },
      },
      deps(log),
    );
    expect(await alerter.send(alertContent(RULE, [EVENT]), signal())).toEqual({ ok: true });
    const req = rx.received.at(-1)!;
    expect(req.method).toBe('PUT');
    expect(req.headers.authorization).toBe(token);
    expect(req.headers['x-cluster']).toBe('prod');
    expect(alerter.info()).toEqual({ type: 'webhook', webhook_url: `${rx.url}/open-apis/bot/v2/hook/***` });
    expect(alerter.secrets()).toEqual(
      expect.arrayContaining([token, '0b8c1d2e-3f4a-5b6c-7d8e-9f0a1b2c3d4e']),
    );
    rx.script({ status: 503, body: `upstream refused ${token}` });
    const failed = await alerter.send(alertContent(RULE, [EVENT]), signal());
    expect(failed).toMatchObject({ ok: false, retryable: true });
    if (!failed.ok) {
      expect(failed.reason).not.toContain('s3cr3t');
      expect(failed.reason).not.toContain('0b8c1d2e-3f4a');
    }
    expect(log.text()).not.toContain('s3cr3t');
  });

  it.each([
    [500, true],
    [429, true],
    [400, false],
    [404, false],
  ])('HTTP %i: retryable %s', async (status, retryable) => {
    rx.script({ status, body: 'no' });
    expect((await sendOne({})).outcome).toMatchObject({ ok: false, retryable });
  });

  it('a receiver that does not answer: the timeout and an abort end the request, retryably', async () => {
    rx.script({ hold: true });
    try {
      expect((await sendOne({ webhook_timeout: 0.3 })).outcome).toMatchObject({
        ok: false,
        retryable: true,
        reason: expect.stringContaining('no answer within 300 ms'),
      });
    } finally {
      rx.release();
    }
    rx.script({ hold: true });
    const alerter = webhookAlerter.create({ ...RULE, webhook_url: rx.url }, deps(captureLog()));
    const c = new AbortController();
    setTimeout(() => c.abort(), 50);
    try {
      expect(await alerter.send(alertContent(RULE, [EVENT]), c.signal)).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/abort/i),
      });
    } finally {
      rx.release();
    }
  });

  it('webhook_url is required and must be a URL', () => {
    expect(() => webhookAlerter.create(RULE, deps(captureLog()))).toThrow('is required');
    expect(() => webhookAlerter.create({ ...RULE, webhook_url: 'not a url' }, deps(captureLog()))).toThrow(
      'must be a URL',
    );
    expect(() =>
      webhookAlerter.create({ ...RULE, webhook_url: rx.url, webhook_method: 'DELETE' }, deps(captureLog())),
    ).toThrow(/must be one of "POST", "PUT", "PATCH", "GET"/);
  });
});
