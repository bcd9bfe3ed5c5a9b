/**
 * The console in a real browser (Debian's headless Chromium, driven by playwright-core) against
 * esalert running on the test Elasticsearch: a backfill over the corpus day fills the writeback
 * (alerts delivered to one receiver and refused by another, realert silences), then
 * `esalert run --http-port 0` serves the console. Each page is loaded and photographed (into
 * test-output/console/), rules are searched, Explain runs, a silence is set and lifted with a
 * token and refused without one, the language switches, event text stays text, and no secret
 * reaches the page. Runs in the Elasticsearch 8 project only: the console, not the server
 * version, is under test (the API's queries run in every project through the other tests).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { EsConnection } from '../../src/query/es-client.ts';
import { type Browser, ensureChromium, launchBrowser } from '../harness/chromium.ts';
import { crashloopRule } from '../support/rules.ts';
import { connectTestEs, esHostPort, testEs, uniqueName } from './helpers.ts';
import { ROOT, runCli } from './support/cli.ts';
import { type Receiver, startReceiver } from './support/http-receiver.ts';
import { type Served, serve } from './support/serve.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';

const OUT = join(ROOT, 'test-output/console');
/** ESALERT_UPDATE_SCREENSHOTS=1 also copies the screenshots to docs/console/. */
const DOCS = join(ROOT, 'docs/console');

const SECRET_QUERY = 'q-secret-4f7c1a9e2b6d';
const SECRET_HEADER = 'h-secret-8d3e5b0c7a19';
const CONSOLE_TOKEN = 'console-token-5c2a9f0e7d4b1836';
const VIEWER_PASSWORD = 'viewer-password-93ab';
const SECRETS = [SECRET_QUERY, SECRET_HEADER, CONSOLE_TOKEN, VIEWER_PASSWORD];
const XSS = '<img src=x onerror="window.__xss=1">';

describe.skipIf(inject('server') !== 'es8')('the console in a browser', () => {
  let es: EsConnection;
  let ws: Workspace;
  let served: Served;
  let browser: Browser;
  let good: Receiver;
  let bad: Receiver;
  let quiet: Receiver;
  let secretDir: string;
  const wb = uniqueName('esalert_console');
  const xssIndex = uniqueName('console-xss');
  const manifest = () => testEs().corpus.manifest;
  const loop = () => manifest().crashLoops[0]!;
  const url = (hash = '') => `${served.url}/${hash}`;

  const shot = async (page: Page, name: string) => {
    mkdirSync(OUT, { recursive: true });
    const file = join(OUT, `${name}.png`);
    await page.screenshot({ path: file, fullPage: false });
    if (process.env.ESALERT_UPDATE_SCREENSHOTS === '1') {
      mkdirSync(DOCS, { recursive: true });
      copyFileSync(file, join(DOCS, `${name}.png`));
    }
  };

  /** The page's DOM holds none of the secrets. */
  const noSecrets = async (page: Page) => {
    const html = await page.content();
    for (const s of SECRETS) expect(html, `secret in the DOM of ${page.url()}`).not.toContain(s);
  };

  beforeAll(async () => {
    ensureChromium();
    es = await connectTestEs();
    good = await startReceiver({ status: 200, body: { ok: true } });
    bad = await startReceiver({ status: 500, body: { error: 'receiver down for maintenance' } });
    quiet = await startReceiver({ status: 200, body: { ok: true } });
    secretDir = mkdtempSync(join(tmpdir(), 'esalert-secret-'));
    const tokenFile = join(secretDir, 'console-token');
    writeFileSync(tokenFile, `${CONSOLE_TOKEN}\n`);
    const l = loop();
    // an event whose text is markup, for a workload of its own
    await es.client.index({
      index: xssIndex,
      refresh: true,
      document: {
        '@timestamp': l.from,
        event: {
          type: 'Warning',
          reason: '<b>Boom</b>',
          message: `${XSS} broke`,
          involvedObject: { kind: 'Pod', namespace: 'prod', name: 'xss-7c9f8d6b5-x2k4p' },
          lastTimestamp: l.from,
        },
      },
    });
    ws = makeWorkspace({
      ...esHostPort(),
      writeback_index: wb,
      run_every: { minutes: 1 },
      buffer_time: { minutes: 15 },
      skip_invalid: true,
      alert_retry: { attempts: 1, delay: { seconds: 1 } },
      http_auth: {
        // the token comes from a mounted file, as a Kubernetes secret would
        tokens: [{ name: 'oncall', token: `\${file:${tokenFile}}` }],
        users: [{ username: 'viewer', password: VIEWER_PASSWORD, write: false }],
      },
      console: { k8s_index: `eventrouter-*,${xssIndex}` },
    });
    ws.writeRule(
      'crashloop.yaml',
      crashloopRule({
        alert_subject: 'CrashLoop: {0}',
        alert_subject_args: ['event.involvedObject.name'],
        alert: [
          {
            post: {
              http_post_url: `${good.url}/hook?token=${SECRET_QUERY}`,
              http_post_headers: { Authorization: `Bearer ${SECRET_HEADER}` },
            },
          },
          { post: { http_post_url: `${bad.url}/hook` } },
        ],
      }),
    );
    ws.writeRule('markup.yaml', {
      name: 'markup',
      type: 'any',
      index: xssIndex,
      realert: { minutes: 0 },
      alert_text: 'Event: {0}',
      alert_text_args: ['event.message'],
      alert_text_type: 'alert_text_only',
      alert: [{ post: { http_post_url: `${quiet.url}/hook` } }],
    });
    ws.writeRule('broken.yaml', 'name: broken\ntype: frequency\nindex: eventrouter-*\nalert: [debug]\n');

    const backfill = runCli([
      'run',
      '--config',
      ws.config,
      '--start',
      manifest().start,
      '--end',
      manifest().end,
    ]);
    const code = await backfill.exited;
    expect(code, backfill.output()).toBe(2); // the broken rule file makes the exit code 2
    expect(good.received.length).toBeGreaterThan(0);
    served = await serve(ws.config, ['--start', 'NOW', '--pin-rules']);
    browser = await launchBrowser();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    for (const r of [good, bad, quiet]) await r?.close();
    await es?.client.indices.delete({ index: `${wb}*,${xssIndex}` }).catch(() => {});
    await es?.close();
    ws?.remove();
    if (secretDir) rmSync(secretDir, { recursive: true, force: true });
  });

  const open = async (hash: string, ready: string) => {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url(hash));
    await page.waitForSelector(ready, { timeout: 60_000 });
    expect(errors).toEqual([]);
    return page;
  };

  it('serves the console with strict security headers and its modules from the package', async () => {
    const res = await fetch(url());
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/https?:\/\//); // nothing from elsewhere
    const api = await fetch(url('api/rules'));
    expect(api.headers.get('content-security-policy')).toBe(csp);
    const mod = await fetch(url('assets/dom.ts'));
    expect(mod.headers.get('content-type')).toContain('text/javascript');
    expect(await mod.text()).not.toMatch(/:\s*(string|number|Node)\b[,)]/); // types stripped
  });

  it('Rules: every rule, load errors with file:line, search', async () => {
    const page = await open('#/rules', '.vrow[data-rule="crashloop"]');
    expect(await page.locator('.vrow').count()).toBe(2);
    const errors = await page.locator('.load-errors').innerText();
    expect(errors).toMatch(/broken\.yaml:\d+/);
    expect(errors).toContain('num_events');
    await shot(page, 'rules');
    await page.fill('#rule-search', 'crash');
    // a function, not a string: the page's CSP forbids evaluating strings
    await page.waitForFunction(() => {
      const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } })
        .document;
      return doc.querySelectorAll('.vrow').length === 1;
    });
    expect(await page.locator('.vrow').first().getAttribute('data-rule')).toBe('crashloop');
    await page.fill('#rule-search', 'no-such-rule');
    await page.waitForSelector('.vlist .empty');
    await noSecrets(page);
    await page.close();
  });

  it('One rule: masked YAML, runs, alerts with per-alerter delivery, and Explain sends nothing', async () => {
    const page = await open('#/rule/crashloop', '.alert-card');
    const yaml = await page.locator('pre.yaml').innerText();
    expect(yaml).toContain('token=***');
    expect(yaml).toContain('Authorization: "***"');
    await page.waitForSelector('.run-strip .run-bar');
    const card = page.locator('.alert-card').first();
    expect(await card.locator('.alert-title').innerText()).toMatch(/^CrashLoop: /);
    expect(await card.locator('.delivery.ok').innerText()).toContain('0:post');
    expect(await card.locator('.delivery.failed').innerText()).toContain('1:post');
    await card.locator('details.attempts summary').click();
    expect(await card.locator('details.attempts').innerText()).toContain('500');

    const l = loop();
    const sent = good.received.length;
    await page.fill('#explain input[name=start]', new Date(Date.parse(l.from) - 600_000).toISOString());
    await page.fill('#explain input[name=end]', l.to);
    await page.click('#explain button[type=submit]');
    await page.waitForSelector('#explain .explain-result', { timeout: 120_000 });
    const result = await page.locator('#explain .explain-result').innerText();
    expect(await page.locator('#explain table.segments tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('#explain table.matches tbody tr').count()).toBeGreaterThan(0);
    // the backfill alerted this pod: realert holds further matches back
    expect(result).toMatch(new RegExp(`silenced \\(crashloop\\.${l.pod}\\) until`));
    expect(result).toContain('Nothing was sent.');
    await page.locator('#explain').scrollIntoViewIfNeeded();
    await shot(page, 'rule');
    expect(good.received.length).toBe(sent);
    await noSecrets(page);
    await page.close();
  });

  it('Explain shows the exact text that would go out, as text, and sends nothing', async () => {
    const page = await open('#/rule/markup', '#explain');
    const l = loop();
    const before = quiet.received.length;
    await page.fill('#explain input[name=start]', new Date(Date.parse(l.from) - 60_000).toISOString());
    await page.fill('#explain input[name=end]', new Date(Date.parse(l.from) + 60_000).toISOString());
    await page.click('#explain button[type=submit]');
    await page.waitForSelector('#explain .would-send', { timeout: 120_000 });
    expect((await page.locator('#explain .would-send pre').innerText()).trim()).toBe(`Event: ${XSS} broke`);
    expect(await page.locator('#explain table.matches').innerText()).toContain('alerted');
    expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('#explain img').count()).toBe(0);
    expect(quiet.received.length).toBe(before);
    await page.close();
  });

  it('Alerts: filtered by state and query_key, with each attempt and its error', async () => {
    const page = await open('#/alerts?state=failed', '.alert-card');
    const states = await page.locator('.alert-card .badge.failed').count();
    expect(states).toBe(await page.locator('.alert-card').count());
    expect(await page.locator('.alert-card').first().innerText()).toContain('receiver down for maintenance');
    await shot(page, 'alerts');
    await page.goto(url(`#/alerts?query_key=${loop().pod}`));
    await page.waitForSelector(`.alert-card .qk:text-is("${loop().pod}")`);
    const keys = await page.locator('.alert-card .qk').allInnerTexts();
    expect(new Set(keys)).toEqual(new Set([loop().pod]));
    await page.goto(url('#/alerts?rule=markup&state=delivered'));
    await page.waitForSelector('.alert-card.state-delivered');
    expect((await page.locator('.alert-card pre.alert-text').first().innerText()).trim()).toBe(
      `Event: ${XSS} broke`,
    );
    expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('.alert-card img').count()).toBe(0);
    await noSecrets(page);
    await page.close();
  });

  it('Silences: refused without a token, set and lifted with one, author and reason recorded', async () => {
    const body = JSON.stringify({ rule: 'crashloop', duration: '1h', reason: 'x' });
    const post = (headers: Record<string, string>) =>
      fetch(url('api/silences'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    expect((await post({ 'x-esalert-request': '1' })).status).toBe(401);
    const viewer = `Basic ${Buffer.from(`viewer:${VIEWER_PASSWORD}`).toString('base64')}`;
    expect((await post({ 'x-esalert-request': '1', authorization: viewer })).status).toBe(403);
    expect((await post({ authorization: `Bearer ${CONSOLE_TOKEN}` })).status).toBe(403); // no CSRF header
    expect(
      (
        await post({
          'x-esalert-request': '1',
          authorization: `Bearer ${CONSOLE_TOKEN}`,
          origin: 'https://evil.example',
        })
      ).status,
    ).toBe(403);
    expect(
      (await post({ 'x-esalert-request': '1', authorization: 'Bearer wrong-token-0123456789' })).status,
    ).toBe(401);

    const page = await open('#/silences', '.silence-form');
    expect(await page.locator('.silence-form button[type=submit]').isDisabled()).toBe(true);
    const refused = await page.evaluate(async () => {
      const r = await fetch('/api/silences', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-esalert-request': '1' },
        body: JSON.stringify({ rule: 'crashloop', duration: '1h', reason: 'no token' }),
      });
      return r.status;
    });
    expect(refused).toBe(401);

    await page.click('#sign-in');
    await page.fill('dialog input[name=token]', CONSOLE_TOKEN);
    await page.click('dialog button[type=submit]');
    await page.waitForSelector('#who:text("oncall")');
    await page.waitForSelector('.silence-form button[type=submit]:not([disabled])');
    const pod = manifest().crashLoops[1]?.pod ?? loop().pod;
    await page.fill('.silence-form input[name=rule]', 'crashloop');
    await page.fill('.silence-form input[name=queryKey]', pod);
    await page.fill('.silence-form input[name=duration]', '2h');
    await page.fill('.silence-form input[name=reason]', 'rolling out a fix <b>now</b>');
    await page.click('.silence-form button[type=submit]');
    const row = page.locator(`tr[data-key="crashloop.${pod}"]`, { hasText: 'oncall' });
    await row.waitFor();
    expect(await row.innerText()).toContain('rolling out a fix <b>now</b>');
    await shot(page, 'silences');
    await noSecrets(page);

    const doc = await es.client.search<Record<string, unknown>>({
      index: `${wb}_silence`,
      query: {
        bool: {
          filter: [{ term: { rule_name: `crashloop.${pod}` } }, { term: { 'author.keyword': 'oncall' } }],
        },
      },
    });
    expect(doc.hits.hits[0]?._source).toMatchObject({
      author: 'oncall',
      reason: 'rolling out a fix <b>now</b>',
      exponent: 0,
    });

    await row.locator('button.lift').click();
    await row.waitFor({ state: 'detached' });
    await es.client.indices.refresh({ index: `${wb}_silence` });
    const left = await es.client.search({
      index: `${wb}_silence`,
      query: {
        bool: { filter: [{ term: { rule_name: `crashloop.${pod}` } }, { range: { until: { gt: 'now' } } }] },
      },
    });
    expect(left.hits.hits).toEqual([]);
    await page.close();
  });

  it("Kubernetes: a workload's events with Warnings highlighted, and its alerts", async () => {
    const l = loop();
    const from = new Date(Date.parse(l.from) - 3_600_000).toISOString();
    const page = await open(
      `#/k8s?ns=${l.namespace}&workload=${l.deployment}&from=${from}&to=${l.to}`,
      'table.events tbody tr',
    );
    expect(await page.locator('table.events tr.warning').count()).toBeGreaterThan(0);
    expect(await page.locator('table.events').innerText()).toContain('BackOff');
    expect(await page.locator('.k8s-out .alert-card').count()).toBeGreaterThan(0);
    await shot(page, 'kubernetes');
    await noSecrets(page);

    await page.goto(url(`#/k8s?ns=prod&workload=xss&from=${from}&to=${l.to}`));
    await page.waitForSelector('table.events tr.warning');
    expect(await page.locator('table.events').innerText()).toContain(`${XSS} broke`);
    expect(await page.locator('table.events').innerText()).toContain('<b>Boom</b>');
    expect(await page.locator('.k8s-out img, .k8s-out b').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
    await page.close();
  });

  it('speaks Chinese to a Chinese browser and switches language; times follow the chosen zone, UTC on hover', async () => {
    const zh = await launchBrowser({ locale: 'zh-CN' });
    try {
      const page = await zh.context.newPage();
      await page.goto(url('#/rules'));
      await page.waitForSelector('.vrow[data-rule="crashloop"]');
      expect(await page.locator('header nav').innerText()).toContain('规则');
      expect(await page.locator('.load-errors h2').innerText()).toContain('加载失败');
      await shot(page, 'rules-zh');
      await page.selectOption('#lang', 'en');
      await page.waitForSelector('header nav a:text("Rules")');
      expect(await page.locator('h1').innerText()).toBe('Rules');
      await page.selectOption('#lang', 'zh-CN');
      await page.waitForSelector('header nav a:text("规则")');

      await page.goto(url(`#/alerts?rule=crashloop`));
      await page.waitForSelector('.alert-card time');
      await page.click('#tz');
      await page.selectOption('#tz', 'UTC');
      await page.waitForSelector('.alert-card time');
      const t = page.locator('.alert-card time').first();
      const iso = (await t.getAttribute('datetime'))!;
      expect(await t.innerText()).toBe(iso.slice(0, 19).replace('T', ' '));
      expect(await t.getAttribute('title')).toBe(`UTC ${iso.slice(0, 19).replace('T', ' ')}Z`);
      await page.selectOption('#tz', 'Asia/Shanghai');
      await page.waitForSelector('.alert-card time');
      const shanghai = new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
      expect(await page.locator('.alert-card time').first().innerText()).toBe(shanghai);
      await noSecrets(page);
    } finally {
      await zh.close();
    }
  });

  it('the API answers on its own, with no secret in it', async () => {
    for (const path of [
      'api/rules',
      'api/rules/crashloop',
      'api/alerts?rule=crashloop',
      'api/silences?all=true',
      'api/rules/crashloop/runs',
    ]) {
      const res = await fetch(url(path));
      expect(res.status, path).toBe(200);
      const text = await res.text();
      for (const s of SECRETS) expect(text, path).not.toContain(s);
    }
    const rules = (await (await fetch(url('api/rules'))).json()) as {
      rules: { name: string; owner: string | null }[];
    };
    // a single instance holds every rule's lease (replicas are on by default)
    const owner = rules.rules[0]?.owner;
    expect(typeof owner).toBe('string');
    expect(rules.rules.map((r) => [r.name, r.owner])).toEqual([
      ['crashloop', owner],
      ['markup', owner],
    ]);
  });
});
