/**
 * ElastAlert 2's error notices (notify_alert, notify_email) against the real Elasticsearch, a
 * real SMTP server and a real HTTP receiver: a rule whose query Elasticsearch rejects, and a rule
 * file that does not load, are each reported once to the notify_alert alerters and by mail to
 * notify_email (plus the failing rule's own notify_email), then resolved once fixed.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type App, startApp } from '../../src/app/app.ts';
import { SecretRegistry } from '../../src/app/logger.ts';
import { systemClock } from '../../src/model/clock.ts';
import { type SmtpReceiver, startSmtpReceiver } from '../unit/alerters/support/smtp-receiver.ts';
import { esHostPort, uniqueName } from './helpers.ts';
import { type Receiver, startReceiver } from './support/http-receiver.ts';
import { until } from './support/service.ts';
import { testEsHooks } from './support/test-es-hooks.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';

const silent = pino({ level: 'silent' });

interface Notice {
  condition: string;
  message: string;
  detail: string;
  resolved: boolean;
}

describe('notify_alert and notify_email end to end', () => {
  const t = testEsHooks();
  let hook: Receiver;
  let smtp: SmtpReceiver;
  let ws: Workspace;
  let app: App | undefined;
  let index: string;

  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  const notices = () => hook.received.filter((r) => r.path === '/notice').map((r) => r.json as Notice);
  const about = (prefix: string) => notices().filter((n) => n.condition.startsWith(prefix));
  const mailsAbout = (text: string) => smtp.mails.filter((m) => (m.parsed.subject ?? '').includes(text));

  /** Starts esalert; `rules` are written once the index exists. */
  const start = async (rules: () => Record<string, string | Record<string, unknown>>) => {
    hook = await startReceiver({ status: 200, body: 'ok' });
    smtp = await startSmtpReceiver();
    t.cleanup.push(
      () => hook.close(),
      () => smtp.close(),
    );
    const wb = uniqueName('esalert_notify');
    index = uniqueName('notify-events');
    await t.es.client.indices.create({ index, mappings: { properties: { '@timestamp': { type: 'date' } } } });
    t.cleanup.push(() => t.es.client.indices.delete({ index: `${wb}*,${index}` }).catch(() => {}));
    // Elasticsearch does not look at the query of a shard without documents
    await t.es.client.index({ index, refresh: true, document: { '@timestamp': new Date().toISOString() } });
    const { es_host, es_port } = esHostPort();
    ws = makeWorkspace({
      es_host,
      es_port,
      run_every: { seconds: 1 },
      buffer_time: { minutes: 5 },
      writeback_index: wb,
      skip_invalid: true,
      alert_retry: { attempts: 1, delay: { milliseconds: 50 }, max_delay: { milliseconds: 100 } },
      notify_alert: ['post'],
      http_post_url: `${hook.url}/notice`,
      notify_email: 'admin@example.com',
      // ElastAlert 2 connects to smtp_host as smtplib reads it: "host:port"
      smtp_host: `127.0.0.1:${smtp.port}`,
      from_addr: 'esalert@example.com',
    });
    t.cleanup.push(() => ws.remove());
    for (const [file, rule] of Object.entries(rules())) ws.writeRule(file, rule);
    app = await startApp(
      { configFile: ws.config, reloadEveryMs: 300, drainMs: 5000 },
      { env: () => undefined, clock: systemClock, logger: silent, secrets: new SecretRegistry() },
    );
  };

  const rule = (extra: Record<string, unknown>) => ({
    name: 'failing',
    type: 'any',
    index,
    alert: ['debug'],
    ...extra,
  });
  // a filter Elasticsearch rejects when the rule runs (the rule loads)
  const bad = { script: { script: { source: 'this is not a script (', lang: 'painless' } } };

  it('a failing rule: one notice to each, the rule owner mailed too, then one resolved notice', async () => {
    await start(() => ({ 'failing.yaml': rule({ filter: [bad], notify_email: ['owner@example.com'] }) }));
    await until('the rule notice', () => about('rule:failing').length === 1);
    expect(about('rule:failing')[0]).toMatchObject({ resolved: false, message: 'rule failing failed' });
    expect(about('rule:failing')[0]!.detail).toMatch(/A run of rule failing failed: /);
    await until('the rule mail', () => mailsAbout('rule failing failed').length === 1);
    const [mail] = mailsAbout('rule failing failed');
    expect(mail!.from).toBe('esalert@example.com');
    expect([...mail!.to].sort()).toEqual(['admin@example.com', 'owner@example.com']);
    expect(mail!.parsed.text).toContain('A run of rule failing failed');
    // it keeps failing: still one notice, one mail
    await new Promise((r) => setTimeout(r, 2500));
    expect(about('rule:failing')).toHaveLength(1);
    expect(mailsAbout('rule failing failed')).toHaveLength(1);

    ws.writeRule('failing.yaml', rule({ notify_email: ['owner@example.com'] }));
    await until('the resolved notice', () => about('rule:failing').length === 2);
    expect(about('rule:failing')[1]).toMatchObject({ resolved: true, message: 'rule failing failed' });
    await until('the resolved mail', () => mailsAbout('[RESOLVED]').length === 1);
    expect(mailsAbout('[RESOLVED]')[0]!.parsed.subject).toContain('rule failing failed');
  });

  it('a rule file that does not load: one notice and one mail to notify_email, resolved once it loads', async () => {
    await start(() => ({ 'broken.yaml': 'name: broken\ntype: frequncy\nindex: x\nalert: [debug]\n' }));
    await until('the load notice', () => about('load:').length === 1);
    expect(about('load:')[0]!.condition).toMatch(/broken\.yaml$/);
    expect(about('load:')[0]!.detail).toMatch(/frequncy/);
    await until('the load mail', () => mailsAbout('does not load').length === 1);
    expect(mailsAbout('does not load')[0]!.to).toEqual(['admin@example.com']);
    ws.writeRule('broken.yaml', rule({ name: 'broken' }));
    await until('the resolved load notice', () => about('load:').length === 2);
    expect(about('load:')[1]).toMatchObject({ resolved: true });
  });
});
