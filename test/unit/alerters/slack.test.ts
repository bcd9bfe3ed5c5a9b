/**
 * Slack against a receiver: the message ElastAlert 2 builds from slack_* options, one post per
 * webhook URL and channel override, the webhook's text error codes, and chat.postMessage with a
 * bot token (Bearer header, `ok: false` replies inside HTTP 200).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OptionProblem } from '../../../src/alerters/alerter.ts';
import { slackAlerter } from '../../../src/alerters/slack.ts';
import type { Doc } from '../../../src/model/lookup.ts';
import { type Receiver, startReceiver } from '../../integration/support/http-receiver.ts';
import { captureLog, deps } from './support/alert-content.ts';
import { startHttpProxy } from './support/http-proxy.ts';
import { trySend } from './support/try-send.ts';

const MATCH = {
  '@timestamp': '2024-05-14T03:21:09Z',
  host: { name: 'node-7' },
  status: 503,
  kibana_discover_url: 'https://kibana.example/app/discover#/?_a=x',
};
const RULE = {
  name: 'Slack rule',
  type: 'any',
  alert_subject: 'Errors on {0}',
  alert_subject_args: ['host.name'],
};
const BOT = 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';

let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver({ status: 200, body: 'ok' });
});
afterAll(() => rx.close());
beforeEach(() => {
  rx.received.length = 0;
});

const send = (options: Doc) =>
  trySend(
    slackAlerter,
    { ...RULE, slack_webhook_url: `${rx.url}/services/T1/B2/secrettoken0123456789ab`, ...options },
    [MATCH],
  );

describe('payload', () => {
  it('has ElastAlert 2 defaults: username, emoji, danger color, the subject as title and the body as text', async () => {
    const { outcome } = await send({});
    expect(outcome).toEqual({ ok: true });
    const body = rx.received[0]!.json as Doc;
    expect(body).toMatchObject({
      username: 'elastalert',
      parse: 'none',
      text: '',
      icon_emoji: ':ghost:',
      channel: '',
      attachments: [
        { color: 'danger', title: 'Errors on node-7', mrkdwn_in: ['text', 'pretext'], fields: [] },
      ],
    });
    expect((body.attachments as Doc[])[0]!.text).toContain('status: 503');
    expect(body).not.toHaveProperty('icon_url');
  });

  it('fills fields from the first match, sets optional parts only when given, and prefers icon_url', async () => {
    await send({
      slack_alert_fields: [
        { title: 'Host', value: 'host.name', short: true },
        { title: 'Missing', value: 'no.such.field' },
      ],
      slack_icon_url_override: 'https://example.com/icon.png',
      slack_title: 'Fixed title',
      slack_title_link: 'https://example.com/runbook',
      slack_footer: 'esalert',
      slack_msg_pretext: 'heads up',
      slack_msg_color: 'good',
    });
    const body = rx.received[0]!.json as Doc;
    expect(body.icon_url).toBe('https://example.com/icon.png');
    expect(body).not.toHaveProperty('icon_emoji');
    expect((body.attachments as Doc[])[0]).toMatchObject({
      title: 'Fixed title',
      title_link: 'https://example.com/runbook',
      footer: 'esalert',
      pretext: 'heads up',
      color: 'good',
      fields: [
        { title: 'Host', value: 'node-7', short: true },
        { title: 'Missing', value: null },
      ],
    });
    expect((body.attachments as Doc[])[0]).not.toHaveProperty('author_name');
  });

  it('attaches the Kibana Discover link from the match when asked to', async () => {
    await send({ slack_attach_kibana_discover_url: true, slack_kibana_discover_title: 'Open' });
    expect((rx.received[0]!.json as Doc).attachments).toContainEqual({
      color: '#ec4b98',
      title: 'Open',
      title_link: MATCH.kibana_discover_url,
    });
  });

  it('posts once per webhook URL and channel override, and paces itself to one message a second', async () => {
    const { outcome, alerter } = await send({
      slack_webhook_url: [
        `${rx.url}/services/T1/B2/aaaaaaaaaaaaaaaa1111`,
        `${rx.url}/services/T1/B3/bbbbbbbbbbbbbbbb2222`,
      ],
      slack_channel_override: ['#ops', '@oncall'],
    });
    expect(outcome).toEqual({ ok: true });
    expect(rx.received.map((r) => [r.path.split('/')[3], (r.json as Doc).channel])).toEqual([
      ['B2', '#ops'],
      ['B2', '@oncall'],
      ['B3', '#ops'],
      ['B3', '@oncall'],
    ]);
    expect(alerter.ratePerMinute).toBe(30);
  });
});

describe('webhook replies', () => {
  it('explains Slack error codes and is permanent for them', async () => {
    rx.script({ status: 404, body: 'channel_not_found' });
    const { outcome } = await send({ slack_channel_override: '#gone' });
    expect(outcome).toMatchObject({ ok: false, retryable: false });
    if (!outcome.ok) expect(outcome.reason).toMatch(/channel_not_found.*slack_channel_override/);
  });

  it('retries a 429 after Retry-After', async () => {
    rx.script({ status: 429, body: 'rate_limited', headers: { 'retry-after': '7' } });
    const { outcome } = await send({});
    expect(outcome).toMatchObject({ ok: false, retryable: true, retryAfterMs: 7000 });
  });

  it('stops at the first failing post', async () => {
    rx.script({ status: 500, body: 'rollup_error' });
    const { outcome } = await send({ slack_channel_override: ['#a', '#b'] });
    expect(outcome).toMatchObject({ ok: false, retryable: true });
    expect(rx.received).toHaveLength(1);
  });
});

describe('bot token (chat.postMessage)', () => {
  const bot = (options: Doc = {}) =>
    trySend(
      slackAlerter,
      {
        ...RULE,
        slack_bot_token: BOT,
        slack_api_url: `${rx.url}/api/chat.postMessage`,
        slack_channel_override: 'C0123ABCD',
        ...options,
      },
      [MATCH],
    );

  it('sends the same message with a Bearer token', async () => {
    rx.script({ status: 200, body: { ok: true, channel: 'C0123ABCD', ts: '1.2' } });
    const { outcome } = await bot();
    expect(outcome).toEqual({ ok: true });
    const r = rx.received[0]!;
    expect(r.path).toBe('/api/chat.postMessage');
    expect(r.headers.authorization).toBe(`Bearer ${BOT}`);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.json).toMatchObject({ channel: 'C0123ABCD', attachments: [{ title: 'Errors on node-7' }] });
  });

  it.each([
    ['not_in_channel', false, /invite/],
    ['invalid_auth', false, /slack_bot_token/],
    ['channel_not_found', false, /slack_channel_override/],
    ['ratelimited', true, /rate/],
    ['internal_error', true, /busy/],
  ])('reads ok:false with error %s (retryable: %s)', async (error, retryable, reason) => {
    rx.script({ status: 200, body: { ok: false, error } });
    const { outcome } = await bot();
    expect(outcome).toMatchObject({ ok: false, retryable, reason: expect.stringMatching(reason) });
  });

  it('refuses a 200 without ok, which is not the Web API', async () => {
    rx.script({ status: 200, body: 'ok' });
    const { outcome } = await bot();
    expect(outcome).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/slack_api_url/),
    });
  });

  it('keeps the token out of info, reasons and the channel id', async () => {
    rx.script({ status: 200, body: { ok: false, error: 'invalid_auth', token: BOT } });
    const { outcome, alerter } = await bot();
    expect(alerter.secrets()).toContain(BOT);
    expect(JSON.stringify([outcome, alerter.info(), alerter.channel])).not.toContain(BOT);
  });

  it('needs a channel', () => {
    expect(() => slackAlerter.create({ ...RULE, slack_bot_token: BOT }, deps(captureLog()))).toThrow(
      OptionProblem,
    );
  });
});

describe('options', () => {
  it('needs slack_webhook_url without a bot token, and names it', () => {
    try {
      slackAlerter.create(RULE, deps(captureLog()));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(OptionProblem);
      expect((err as OptionProblem).option).toBe('slack_webhook_url');
    }
  });

  it('goes through slack_proxy given as host:port, as ElastAlert 2 documents it', async () => {
    const proxy = await startHttpProxy();
    try {
      const { outcome } = await send({ slack_proxy: proxy.url.replace('http://', '') });
      expect(outcome).toEqual({ ok: true });
      expect(proxy.seen).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });

  it('keeps the webhook token out of info()', () => {
    const a = slackAlerter.create(
      { ...RULE, slack_webhook_url: 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX1234' },
      deps(captureLog()),
    );
    expect(a.info()).toEqual({ type: 'slack', slack_username_override: 'elastalert' });
    expect(a.secrets()).toContain('XXXXXXXXXXXXXXXX1234');
  });
});
