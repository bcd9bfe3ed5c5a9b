/**
 * The email alerter against real SMTP servers on 127.0.0.1 (smtp-server): headers and envelope as
 * ElastAlert 2 writes them (bcc only in the envelope), the default subject, email_from_field,
 * login from smtp_auth_file, STARTTLS and SSL with a throwaway CA, HTML bodies, and how SMTP
 * failures are classified.
 */
import { createServer } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OptionProblem } from '../../../src/alerters/alerter.ts';
import { defaultEmailSubject, emailAlerter, emailRecipients } from '../../../src/alerters/email.ts';
import type { Doc } from '../../../src/model/lookup.ts';
import { type Certificates, makeCertificates } from '../../integration/support/es-gateway.ts';
import { alertContent, captureLog, deps, signal } from './support/alert-content.ts';
import { type SmtpReceiver, startSmtpReceiver } from './support/smtp-receiver.ts';

const PASSWORD = 'correct-horse-battery-staple';
const MATCH = { '@timestamp': '2014-10-10T00:00:00', hostname: 'aProbe', test_term: 'test_value' };

let certs: Certificates;
let plain: SmtpReceiver;
let authed: SmtpReceiver;
let starttls: SmtpReceiver;
let ssl: SmtpReceiver;
let authedStarttls: SmtpReceiver;
let ruleDir: string;

beforeAll(async () => {
  certs = makeCertificates();
  plain = await startSmtpReceiver();
  authed = await startSmtpReceiver({ auth: { user: 'alerts@example.com', pass: PASSWORD } });
  starttls = await startSmtpReceiver({
    tls: { mode: 'starttls', key: certs.serverKey, cert: certs.serverCert },
  });
  ssl = await startSmtpReceiver({ tls: { mode: 'ssl', key: certs.serverKey, cert: certs.serverCert } });
  authedStarttls = await startSmtpReceiver({
    auth: { user: 'alerts@example.com', pass: PASSWORD },
    tls: { mode: 'starttls', key: certs.serverKey, cert: certs.serverCert },
  });
  ruleDir = mkdtempSync(join(tmpdir(), 'esalert-email-'));
  writeFileSync(join(ruleDir, 'smtp_auth.yaml'), `user: alerts@example.com\npassword: ${PASSWORD}\n`);
  writeFileSync(join(ruleDir, 'wrong_auth.yaml'), 'user: alerts@example.com\npassword: not-the-password\n');
});
afterAll(async () => {
  for (const s of [plain, authed, starttls, ssl, authedStarttls]) await s.close();
});

const base = (server: SmtpReceiver): Doc => ({
  name: 'Test email rule!',
  type: 'any',
  email: ['testing@test.test', 'test@test.test'],
  from_addr: 'elastalert@test.test',
  smtp_host: '127.0.0.1',
  smtp_port: server.port,
});

async function send(server: SmtpReceiver, options: Doc, matches: Doc[] = [MATCH], log = captureLog()) {
  const rule = { ...base(server), ...options };
  // the throwaway CAs live in their own directories, allowed as allowed_file_paths would
  const fileRoots = [certs.ca, options.smtp_ca_certs].filter((f) => typeof f === 'string').map(dirname);
  const alerter = emailAlerter.create(rule, { ...deps(log, ruleDir), fileRoots });
  const before = server.mails.length;
  const outcome = await alerter.send(alertContent(rule, matches), signal());
  return { outcome, mail: server.mails.length > before ? server.mails.at(-1)! : undefined, alerter, log };
}

describe('message and envelope', () => {
  it('writes From, To, Cc, Reply-To, Subject and the body; bcc only in the envelope', async () => {
    const { outcome, mail } = await send(plain, {
      from_addr: 'testfrom@test.test',
      cc: 'cc@test.test',
      bcc: ['hidden@test.test'],
      email_reply_to: 'test@example.com',
      alert_subject: 'Test alert for {0}, owned by {1}',
      alert_subject_args: ['test_term', 'owner'],
      owner: 'owner_value',
    });
    expect(outcome).toEqual({ ok: true });
    expect(mail!.from).toBe('testfrom@test.test');
    expect(mail!.to).toEqual(['testing@test.test', 'test@test.test', 'cc@test.test', 'hidden@test.test']);
    const p = mail!.parsed;
    expect(p.from?.text).toBe('testfrom@test.test');
    expect((Array.isArray(p.to) ? p.to[0] : p.to)?.text).toBe('testing@test.test, test@test.test');
    expect((Array.isArray(p.cc) ? p.cc[0] : p.cc)?.text).toBe('cc@test.test');
    expect(p.replyTo?.text).toBe('test@example.com');
    expect(p.subject).toBe('Test alert for test_value, owned by owner_value');
    expect(p.headers.has('bcc')).toBe(false);
    expect(mail!.raw).not.toContain('hidden@test.test');
    expect(p.date).toBeInstanceOf(Date);
    expect(p.text).toBe(
      'Test email rule!\n\n@timestamp: 2014-10-10T00:00:00\nhostname: aProbe\ntest_term: test_value\n',
    );
    expect(p.html).toBe(false);
  });

  it('defaults: subject "ElastAlert: <name> - <query_key value>", Reply-To = To', async () => {
    const { mail } = await send(plain, { query_key: 'hostname', email: 'ops@test.test' });
    expect(mail!.parsed.subject).toBe('ElastAlert: Test email rule! - aProbe');
    expect(mail!.parsed.replyTo?.text).toBe('ops@test.test');
  });

  it('from_addr defaults to "ElastAlert" as in ElastAlert 2, with a warning (strict servers refuse it)', async () => {
    const log = captureLog();
    const { from_addr: _, ...rule } = base(plain);
    // the throwaway CA lives in its own directory, allowed as allowed_file_paths would
    const alerter = emailAlerter.create(rule, { ...deps(log, ruleDir), fileRoots: [dirname(certs.ca)] });
    expect(log.text()).toContain('is not an email address; many SMTP servers refuse it');
    // smtp-server is one of the strict ones: the refusal is permanent and names from_addr.
    const outcome = await alerter.send(alertContent(rule, [MATCH]), signal());
    expect(outcome).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringContaining('from_addr'),
    });
  });

  it('smtp_host "host:port" names the port when smtp_port is not set, as smtplib reads it', async () => {
    const { outcome, mail } = await send(plain, {
      smtp_host: `127.0.0.1:${plain.port}`,
      smtp_port: undefined,
    });
    expect(outcome).toEqual({ ok: true });
    expect(mail!.to).toEqual(['testing@test.test', 'test@test.test']);
  });

  it('UTF-8 subject and body survive', async () => {
    const { mail } = await send(plain, {
      alert_subject: '节点告警 ☃',
      alert_text: '内存不足 ☃',
      alert_text_type: 'alert_text_only',
    });
    expect(mail!.parsed.subject).toBe('节点告警 ☃');
    expect(mail!.parsed.text).toBe('内存不足 ☃\n\n');
  });

  it('email_format: html sends the body as HTML', async () => {
    const { mail } = await send(plain, {
      email_format: 'html',
      alert_text: '<b>Pod</b> crashed',
      alert_text_type: 'alert_text_only',
    });
    expect(mail!.parsed.html).toBe('<b>Pod</b> crashed\n\n');
  });

  it('HTML with inline images from assets_dir (Content-ID from email_image_keys)', async () => {
    writeFileSync(join(ruleDir, 'logo.png'), Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
    const { mail } = await send(plain, {
      email_format: 'html',
      alert_text: '<img src="cid:logo"> down',
      alert_text_type: 'alert_text_only',
      assets_dir: ruleDir,
      email_image_keys: ['logo'],
      email_image_values: ['logo.png'],
    });
    // mailparser swaps resolved cid: links for data: URLs, so this shows the link found the image.
    expect(mail!.parsed.html).toBe('<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUg=="> down\n\n');
    expect(mail!.parsed.attachments.map((a) => [a.cid, a.filename, a.size])).toEqual([
      ['logo', 'logo.png', 16],
    ]);
  });

  it('a missing image is a permanent failure', async () => {
    const { outcome, mail } = await send(plain, {
      email_format: 'html',
      assets_dir: ruleDir,
      email_image_keys: ['logo'],
      email_image_values: ['missing.png'],
    });
    expect(mail).toBeUndefined();
    expect(outcome).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringContaining('cannot build the message'),
    });
  });

  it("an HTML email escapes event text; the rule's HTML stays", async () => {
    const rule = {
      ...base(plain),
      email_format: 'html',
      alert_text: '<h1>{0}</h1>',
      alert_text_args: ['msg'],
    };
    const alerter = emailAlerter.create(rule, deps(captureLog(), ruleDir));
    expect(alerter.textFormat).toBe('html');
    const before = plain.mails.length;
    const outcome = await alerter.send(
      alertContent(rule, [{ msg: '<img src=x onerror=alert(1)>' }], () => '', alerter.textFormat),
      signal(),
    );
    expect(outcome).toEqual({ ok: true });
    expect(plain.mails.length).toBe(before + 1);
    const html = String(plain.mails.at(-1)!.parsed.html);
    expect(html).toContain('<h1>&lt;img src=x onerror=alert(1)&gt;</h1>');
  });

  it('email_from_field cannot send to a domain outside the allowed ones', async () => {
    const log = captureLog();
    const { mail } = await send(
      plain,
      { email_from_field: 'data.user', email_add_domain: 'example.com' },
      [{ data: { user: ['qlo', 'thief@evil.example', 'x@example.com\r\nRCPT TO:<y@evil.example>'] } }],
      log,
    );
    expect(mail!.to).toEqual(['qlo@example.com']);
    expect(log.text()).toMatch(/"refused":2.*outside the allowed domains/);
    // every event-chosen address refused: the rule's own recipients
    const all = await send(plain, { email_from_field: 'data.user', email_add_domain: 'example.com' }, [
      { data: { user: 'thief@evil.example' } },
    ]);
    expect(all.mail!.to).toEqual(['testing@test.test', 'test@test.test']);
    // email_allowed_domains widens it; without email_add_domain the rule's own domains are allowed
    const listed = await send(
      plain,
      { email_from_field: 'data.user', email_allowed_domains: ['partner.example'] },
      [{ data: { user: 'ops@partner.example' } }],
    );
    expect(listed.mail!.to).toEqual(['ops@partner.example']);
    const own = await send(plain, { email_from_field: 'data.user' }, [
      { data: { user: 'oncall@test.test' } },
    ]);
    expect(own.mail!.to).toEqual(['oncall@test.test']);
  });

  it('email_from_field picks recipients from the first match', async () => {
    const { mail } = await send(plain, { email_from_field: 'data.user', email_add_domain: 'example.com' }, [
      { data: { user: 'qlo' } },
    ]);
    expect(mail!.to).toEqual(['qlo@example.com']);
    expect(mail!.parsed.replyTo?.text).toBe('qlo@example.com');
  });
});

describe("recipients and subject (ElastAlert 2's test vectors)", () => {
  const o = { email: ['testing@test.test'], email_from_field: 'data.user', email_add_domain: '@example.com' };
  it.each([
    [{ data: { user: 'qlo' } }, ['qlo@example.com']],
    [{ data: { user: '@qlo' } }, ['@qlo']],
    [{ data: { user: ['qlo', 'foo'] } }, ['qlo@example.com', 'foo@example.com']],
    [{ data: { foo: 'qlo' } }, ['testing@test.test']],
    [{ data: { user: 17 } }, ['testing@test.test']],
  ])('%j -> %j', (match, expected) => {
    expect(emailRecipients(o, match)).toEqual(expected);
  });

  it('a name without @ and no email_add_domain falls back to email', () => {
    expect(emailRecipients({ ...o, email_add_domain: undefined }, { data: { user: 'qlo' } })).toEqual([
      'testing@test.test',
    ]);
  });

  it.each([
    ['hostname', 'ElastAlert: Test email rule! - aProbe'],
    ['test', 'ElastAlert: Test email rule!'],
    [undefined, 'ElastAlert: Test email rule!'],
  ])('query_key %s -> %s', (qk, subject) => {
    expect(
      defaultEmailSubject('Test email rule!', qk ? { query_key: qk } : {}, [MATCH, { hostname2: 'x' }]),
    ).toBe(subject);
  });
});

describe('login and TLS', () => {
  it('logs in with smtp_auth_file (relative to the rule file), password never shown', async () => {
    const { outcome, mail, alerter, log } = await send(authedStarttls, {
      smtp_auth_file: 'smtp_auth.yaml',
      smtp_ca_certs: certs.ca,
    });
    expect(outcome).toEqual({ ok: true });
    expect(mail!.user).toBe('alerts@example.com');
    expect(alerter.secrets()).toEqual([PASSWORD]);
    expect(JSON.stringify(alerter.info())).not.toContain(PASSWORD);
    expect(log.text()).not.toContain(PASSWORD);
  });

  it('a rejected login is permanent and names smtp_auth_file', async () => {
    const { outcome } = await send(authedStarttls, {
      smtp_auth_file: 'wrong_auth.yaml',
      smtp_ca_certs: certs.ca,
    });
    expect(outcome).toMatchObject({ ok: false, retryable: false });
    if (!outcome.ok) {
      expect(outcome.reason).toContain('rejected the login');
      expect(outcome.reason).toContain('smtp_auth_file');
      expect(outcome.reason).not.toContain('not-the-password');
    }
  });

  it('upgrades with STARTTLS when offered, verifying the server against smtp_ca_certs', async () => {
    const { outcome, mail } = await send(starttls, { smtp_ca_certs: certs.ca });
    expect(outcome).toEqual({ ok: true });
    expect(mail!.secure).toBe(true);
  });

  it('as ElastAlert 2, STARTTLS without a CA does not check the certificate', async () => {
    const { outcome, mail } = await send(starttls, {});
    expect(outcome).toEqual({ ok: true });
    expect(mail!.secure).toBe(true);
  });

  it('smtp_ssl speaks TLS from the start', async () => {
    const { outcome, mail } = await send(ssl, { smtp_ssl: true, smtp_ca_certs: certs.ca });
    expect(outcome).toEqual({ ok: true });
    expect(mail!.secure).toBe(true);
  });

  it('a certificate the CA did not sign is a permanent TLS failure', async () => {
    const other = makeCertificates();
    const { outcome } = await send(ssl, { smtp_ssl: true, smtp_ca_certs: other.ca });
    expect(outcome).toMatchObject({ ok: false, retryable: false });
    if (!outcome.ok) expect(outcome.reason).toContain('TLS failed');
  });
});

describe('smtp_auth_file is read as PyYAML reads it', () => {
  it('password: 0123456 is the octal number 42798, sent as "42798" (as ElastAlert 2 does)', async () => {
    const server = await startSmtpReceiver({
      auth: { user: 'alerts@example.com', pass: '42798' },
      tls: { mode: 'starttls', key: certs.serverKey, cert: certs.serverCert },
    });
    try {
      writeFileSync(join(ruleDir, 'octal_auth.yaml'), 'user: alerts@example.com\npassword: 0123456\n');
      const { outcome, alerter } = await send(server, {
        smtp_auth_file: 'octal_auth.yaml',
        smtp_ca_certs: certs.ca,
      });
      expect(outcome).toEqual({ ok: true });
      expect(alerter.secrets()).toEqual(['42798']);
    } finally {
      await server.close();
    }
  });
});

describe('a login goes only over verified TLS', () => {
  const login = { smtp_auth_file: 'smtp_auth.yaml' };

  it('a server without STARTTLS never sees the password: a permanent failure that says what to do', async () => {
    const before = authed.logins.length;
    const { outcome, mail } = await send(authed, login);
    expect(mail).toBeUndefined();
    expect(authed.logins.length).toBe(before);
    expect(outcome).toMatchObject({ ok: false, retryable: false });
    if (!outcome.ok) expect(outcome.reason).toMatch(/offers no STARTTLS.*smtp_ssl.*smtp_require_tls: false/);
  });

  it('STARTTLS to a certificate signed by an unknown CA fails before the login', async () => {
    const before = authedStarttls.logins.length;
    const { outcome } = await send(authedStarttls, login);
    expect(authedStarttls.logins.length).toBe(before);
    expect(outcome).toMatchObject({ ok: false, retryable: false });
    if (!outcome.ok) expect(outcome.reason).toMatch(/TLS failed.*smtp_ca_certs/);
  });

  it('STARTTLS verified against smtp_ca_certs logs in over TLS', async () => {
    const { outcome, mail } = await send(authedStarttls, { ...login, smtp_ca_certs: certs.ca });
    expect(outcome).toEqual({ ok: true });
    expect(mail!.secure).toBe(true);
    expect(mail!.user).toBe('alerts@example.com');
    expect(authedStarttls.logins.at(-1)).toEqual({ user: 'alerts@example.com', secure: true });
  });

  it('smtp_ssl checks the certificate too', async () => {
    const { outcome } = await send(ssl, { smtp_ssl: true });
    expect(outcome).toMatchObject({ ok: false, retryable: false });
    if (!outcome.ok) expect(outcome.reason).toContain('TLS failed');
  });

  it('the opt-outs work and warn: smtp_ignore_ssl_errors, smtp_require_tls: false', async () => {
    const log1 = captureLog();
    const r1 = await send(authedStarttls, { ...login, smtp_ignore_ssl_errors: true }, [MATCH], log1);
    expect(r1.outcome).toEqual({ ok: true });
    expect(log1.text()).toMatch(/smtp_ignore_ssl_errors is true: .*not verified/);

    const log2 = captureLog();
    const r2 = await send(authed, { ...login, smtp_require_tls: false }, [MATCH], log2);
    expect(r2.outcome).toEqual({ ok: true });
    expect(authed.logins.at(-1)).toEqual({ user: 'alerts@example.com', secure: false });
    expect(log2.text()).toMatch(/smtp_require_tls is false: the SMTP password is sent in clear text/);
    for (const log of [log1, log2]) expect(log.text()).not.toContain(PASSWORD);
  });
});

describe('failures', () => {
  it.each([
    ['rcpt', 450, true],
    ['rcpt', 550, false],
    ['mail', 421, true],
    ['data', 452, true],
    ['data', 554, false],
  ] as const)('%s answered %i: retryable %s', async (stage, code, retryable) => {
    plain.failNext({ stage, code, message: `scripted failure ${code}` });
    const { outcome } = await send(plain, { email: 'ops@test.test' });
    expect(outcome).toMatchObject({ ok: false, retryable });
    if (!outcome.ok) expect(outcome.reason).toContain(String(code));
  });

  it('a refused recipient among others: sent to the rest, the refusal logged', async () => {
    plain.failNext({ stage: 'rcpt', code: 550, message: 'no such user' });
    const { outcome, mail, log } = await send(plain, {});
    expect(outcome).toEqual({ ok: true });
    expect(mail!.to).toEqual(['test@test.test']);
    expect(log.lines().find((l) => l.level === 40)).toMatchObject({ rejected: ['testing@test.test'] });
  });

  it('connection refused is retryable', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as { port: number }).port;
    await new Promise<void>((r) => s.close(() => r()));
    const alerter = emailAlerter.create({ ...base(plain), smtp_port: port }, deps(captureLog(), ruleDir));
    const outcome = await alerter.send(alertContent(base(plain), [MATCH]), signal());
    expect(outcome).toMatchObject({ ok: false, retryable: true });
    if (!outcome.ok) expect(outcome.reason).toContain(`SMTP 127.0.0.1:${port}`);
  });

  // the server holds its answer to DATA until released: only the timeout or the abort can end the session
  it('no answer within smtp_timeout is retryable', async () => {
    plain.hold = true;
    try {
      const { outcome } = await send(plain, { smtp_timeout: 0.5 });
      expect(outcome).toMatchObject({
        ok: false,
        retryable: true,
        reason: expect.stringContaining('no answer within 500 ms'),
      });
    } finally {
      plain.hold = false;
      await plain.release();
    }
  });

  it('an abort while the message is being built ends it too, before a session starts', async () => {
    plain.hold = true;
    const before = plain.mails.length;
    try {
      const rule = base(plain);
      const alerter = emailAlerter.create(rule, deps(captureLog(), ruleDir));
      const controller = new AbortController();
      const sending = alerter.send(alertContent(rule, [MATCH]), controller.signal);
      controller.abort(); // the message is still being composed
      expect(await sending).toMatchObject({ ok: false, reason: expect.stringContaining('aborted') });
    } finally {
      plain.hold = false;
      await plain.release();
    }
    expect(plain.mails).toHaveLength(before);
  });

  it('an abort ends the session', async () => {
    plain.hold = true;
    try {
      const rule = base(plain);
      const alerter = emailAlerter.create(rule, deps(captureLog(), ruleDir));
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const outcome = await alerter.send(alertContent(rule, [MATCH]), controller.signal);
      expect(outcome).toMatchObject({ ok: false, reason: expect.stringContaining('aborted') });
    } finally {
      plain.hold = false;
      await plain.release();
    }
  });
});

describe('options', () => {
  const create = (options: Doc) => () =>
    emailAlerter.create({ name: 'r', type: 'any', ...options }, deps(captureLog(), ruleDir));

  it('email is required', () => {
    expect(create({})).toThrow(OptionProblem);
    expect(create({})).toThrow('is required');
  });

  it('an unreadable smtp_auth_file is reported at load', () => {
    expect(create({ email: 'a@b.c', smtp_auth_file: 'missing.yaml' })).toThrow(
      /cannot read .*missing\.yaml \(ENOENT\)/,
    );
  });

  it('an auth file without password is reported at load', () => {
    writeFileSync(join(ruleDir, 'half.yaml'), 'user: someone\n');
    expect(create({ email: 'a@b.c', smtp_auth_file: 'half.yaml' })).toThrow(
      /must hold "user:" and "password:"/,
    );
  });

  it('files outside the rules folders are refused at load: auth file, certificates, images', () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'esalert-elsewhere-'));
    writeFileSync(join(elsewhere, 'auth.yaml'), `user: u\npassword: ${PASSWORD}\n`);
    writeFileSync(join(elsewhere, 'logo.png'), 'png');
    for (const options of [
      { smtp_auth_file: join(elsewhere, 'auth.yaml') },
      { smtp_auth_file: `../${basename(elsewhere)}/auth.yaml` },
      { smtp_cert_file: join(elsewhere, 'auth.yaml') },
      { email_image_keys: ['logo'], email_image_values: ['logo.png'], assets_dir: elsewhere },
    ]) {
      expect(create({ email: 'a@b.c', ...options })).toThrow(
        /is outside the rules folders.*allowed_file_paths/,
      );
    }
    // allowed once the directory is listed (allowed_file_paths)
    const alerter = emailAlerter.create(
      { name: 'r', type: 'any', email: 'a@b.c', smtp_auth_file: join(elsewhere, 'auth.yaml') },
      { ...deps(captureLog(), ruleDir), fileRoots: [elsewhere] },
    );
    expect(alerter.secrets()).toEqual([PASSWORD]);
  });

  it('info lists the recipients', () => {
    expect(create({ email: 'a@b.c' })().info()).toEqual({ type: 'email', recipients: ['a@b.c'] });
    // the channel is a metric label and a log field: no addresses in it
    expect(create({ email: 'a@b.c' })().channel).toMatch(/^email:[0-9a-f]{12}$/);
  });
});
