/**
 * ElastAlert 2's `email` alerter over SMTP (nodemailer's SMTP connection): the same recipients
 * (email_from_field, email_add_domain, cc, bcc only in the envelope), subject and headers; STARTTLS
 * when the server offers it, TLS from the start with smtp_ssl, login from smtp_auth_file. With a
 * login, TLS is required and the certificate verified (smtp_require_tls, smtp_ignore_ssl_errors).
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { stringList } from '../config/fields.ts';
import { errorMessage } from '../errors/esalert-error.ts';
import type { Match } from '../model/match.ts';
import { type Doc, lookupField, pythonStr } from '../model/lookup.ts';
import { redactText } from '../util/redact.ts';
import type { AlertContent, AlerterDefinition, AlerterDeps, SendOutcome } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { readOptions } from './options.ts';
import { urlDigest } from './url-secrets.ts';
import { readRuleFile, readRuleYamlFile, ruleFile } from './rule-files.ts';
import { type EmailMessage, type SmtpSettings, smtpOutcome, smtpSend } from './smtp-send.ts';

const schema = z.object({
  email: stringList,
  email_from_field: z.string().optional(),
  email_add_domain: z.string().optional(),
  // esalert: domains email_from_field recipients may be in (['*']: any)
  email_allowed_domains: stringList.optional(),
  cc: stringList.optional(),
  bcc: stringList.optional(),
  from_addr: z.string().default('ElastAlert'),
  email_reply_to: z.string().optional(),
  smtp_host: z.string().default('localhost'),
  smtp_port: z.union([z.int().positive(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
  smtp_ssl: z.boolean().default(false),
  smtp_auth_file: z.string().optional(),
  smtp_cert_file: z.string().optional(),
  smtp_key_file: z.string().optional(),
  smtp_ca_certs: z.string().optional(),
  // esalert: with a login, TLS is required (STARTTLS or smtp_ssl) unless this is false
  smtp_require_tls: z.boolean().optional(),
  // esalert: the only switch that turns certificate checks off
  smtp_ignore_ssl_errors: z.boolean().default(false),
  smtp_timeout: z.number().positive({ error: 'must be a number of seconds greater than 0' }).default(30),
  email_format: z.string().optional(),
  assets_dir: z.string().default('/tmp'),
  email_image_keys: z.array(z.string()).default([]),
  email_image_values: z.array(z.string()).default([]),
});
type EmailOptions = z.output<typeof schema>;

const pythonTruthy = (v: unknown) =>
  !(v === undefined || v === null || v === false || v === 0 || v === '') &&
  !(Array.isArray(v) && v.length === 0) &&
  !(typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);

/** The subject when the rule has no alert_subject: "ElastAlert: <name>", plus " - <query_key value>" (SES says "ElastAlert 2"). */
export function defaultEmailSubject(
  ruleName: string,
  options: Doc,
  matches: readonly Match[],
  prefix = 'ElastAlert',
): string {
  let subject = `${prefix}: ${ruleName}`;
  const qk = options.query_key;
  if (typeof qk === 'string') {
    const value = matches[0]?.[qk];
    if (pythonTruthy(value)) subject += ` - ${pythonStr(value)}`;
  }
  return subject;
}

/** The To recipients: email_from_field's value from the first match when usable, else `email`. */
export function emailRecipients(
  o: Pick<EmailOptions, 'email' | 'email_from_field' | 'email_add_domain'>,
  match: Match | undefined,
): string[] {
  if (!o.email_from_field || !match) return o.email;
  const domain = o.email_add_domain;
  const value = lookupField(match, o.email_from_field);
  if (typeof value === 'string') {
    if (value.includes('@')) return [value];
    if (domain !== undefined) return [value + domain];
  } else if (Array.isArray(value)) {
    return value.map((v) => (domain !== undefined ? `${pythonStr(v)}${domain}` : pythonStr(v)));
  }
  return o.email;
}

/**
 * user and password from smtp_auth_file, read as PyYAML reads it (YAML 1.1: `password: 0123456`
 * is the octal number 42798, which ElastAlert 2 then sends as "42798").
 */
function readAuthFile(deps: AlerterDeps, file: string): { user: string; pass: string } {
  const d = readRuleYamlFile(deps, 'smtp_auth_file', file);
  if (d.user === undefined || d.password === undefined) {
    throw new OptionProblem('smtp_auth_file', `${file} must hold "user:" and "password:" lines`);
  }
  return { user: pythonStr(d.user), pass: pythonStr(d.password) };
}

function readCaFile(ruleDir: string, file: string): Buffer {
  const path = isAbsolute(file) ? file : join(ruleDir, file);
  try {
    return readFileSync(path);
  } catch (err) {
    throw new OptionProblem(
      'smtp_ca_certs',
      `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`,
    );
  }
}

const ADDRESS =
  /^[^\s@<>(),;:"\\[\]]+@([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)$/;

/**
 * The domains recipients taken from an event (email_from_field) may be in: email_allowed_domains,
 * else email_add_domain's, else those of the rule's own email, cc and bcc addresses. ['*']: any.
 */
export function allowedRecipientDomains(o: EmailOptions): Set<string> | 'any' {
  if (o.email_allowed_domains?.includes('*')) return 'any';
  const domainOf = (a: string) => a.slice(a.lastIndexOf('@') + 1).toLowerCase();
  const listed = o.email_allowed_domains?.map((d) => d.replace(/^@/, '').toLowerCase());
  if (listed) return new Set(listed);
  if (o.email_add_domain) return new Set([domainOf(o.email_add_domain)]);
  return new Set(
    [...o.email, ...(o.cc ?? []), ...(o.bcc ?? [])].filter((a) => a.includes('@')).map(domainOf),
  );
}

/**
 * The To recipients, with those an event chose (email_from_field) kept only when they are
 * well-formed addresses in an allowed domain; when none is, `email`. `refused` lists the others.
 */
export function checkedRecipients(
  o: EmailOptions,
  match: Match | undefined,
): { to: string[]; refused: string[] } {
  const to = emailRecipients(o, match);
  if (to === o.email) return { to, refused: [] };
  const allowed = allowedRecipientDomains(o);
  const ok = (a: string) => {
    const m = ADDRESS.exec(a);
    return m !== null && (allowed === 'any' || allowed.has(m[1]!.toLowerCase()));
  };
  const kept = to.filter(ok);
  return { to: kept.length > 0 ? kept : o.email, refused: to.filter((a) => !ok(a)) };
}

export function emailMessage(
  o: EmailOptions,
  content: AlertContent,
  to = emailRecipients(o, content.matches[0]),
): EmailMessage {
  return {
    from: o.from_addr,
    to,
    cc: o.cc ?? [],
    bcc: o.bcc ?? [],
    replyTo: o.email_reply_to ?? to.join(', '),
    subject:
      content.options.alert_subject !== undefined
        ? content.title
        : defaultEmailSubject(content.ruleName, content.options, content.matches),
    body: content.body,
    html: o.email_format === 'html',
    images: o.email_image_keys
      .map((cid, i) => ({ cid, file: o.email_image_values[i] }))
      .filter((x): x is { cid: string; file: string } => x.file !== undefined)
      .map((x) => ({ cid: x.cid, path: join(o.assets_dir, x.file) })),
  };
}

export const emailAlerter: AlerterDefinition = {
  name: 'email',
  aliases: ['elastalert.alerters.email.EmailAlerter'],
  summary: 'Email over SMTP (STARTTLS when offered, or SSL), as ElastAlert 2 builds it.',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const raw = readOptions(schema, options);
    const domain = raw.email_add_domain;
    const o: EmailOptions = {
      ...raw,
      ...(domain && !domain.startsWith('@') ? { email_add_domain: `@${domain}` } : {}),
    };
    if (!o.from_addr.includes('@')) {
      deps.logger.warn(
        `from_addr "${o.from_addr}" is not an email address; many SMTP servers refuse it as sender: set from_addr`,
      );
    }
    const auth = o.smtp_auth_file ? readAuthFile(deps, o.smtp_auth_file) : undefined;
    const cert = o.smtp_cert_file ? readRuleFile(deps, 'smtp_cert_file', o.smtp_cert_file) : undefined;
    const key = o.smtp_key_file ? readRuleFile(deps, 'smtp_key_file', o.smtp_key_file) : cert;
    // a CA bundle is public: it may be anywhere (/etc/ssl/certs...)
    const ca = o.smtp_ca_certs ? readCaFile(deps.ruleDir, o.smtp_ca_certs) : undefined;
    // images are attached when an alert is sent: their files are checked now
    for (const file of o.email_image_values)
      ruleFile(deps, 'email_image_values', resolve(o.assets_dir, file));
    // The password goes only over TLS, to a server whose certificate checks out, unless the rule
    // says otherwise (and is warned). Without a login STARTTLS stays opportunistic, as in
    // ElastAlert 2, and unverified unless a CA or client certificate is given.
    const requireTls = auth !== undefined && !o.smtp_ssl && o.smtp_require_tls !== false;
    const verify =
      !o.smtp_ignore_ssl_errors &&
      (auth !== undefined || o.smtp_ssl || ca !== undefined || cert !== undefined);
    if (auth && !o.smtp_ssl && o.smtp_require_tls === false) {
      deps.logger.warn(
        'smtp_require_tls is false: the SMTP password is sent in clear text when the server offers no STARTTLS',
      );
    }
    if (o.smtp_ignore_ssl_errors) {
      deps.logger.warn(
        "smtp_ignore_ssl_errors is true: the SMTP server's certificate is not verified; give its CA in smtp_ca_certs instead",
      );
    }
    // smtp_host "host:port" names the port when smtp_port does not, as Python's smtplib reads it
    const hostPort = o.smtp_port === undefined ? /^([^:]+):(\d{1,5})$/.exec(o.smtp_host) : null;
    const settings: SmtpSettings = {
      host: hostPort ? hostPort[1]! : o.smtp_host,
      port: hostPort ? Number(hostPort[2]) : (o.smtp_port ?? (o.smtp_ssl ? 465 : 25)),
      ssl: o.smtp_ssl,
      requireTls,
      timeoutMs: o.smtp_timeout * 1000,
      tls: {
        rejectUnauthorized: verify,
        ...(ca ? { ca } : {}),
        ...(cert ? { cert, key } : {}),
      },
      ...(auth ? { auth } : {}),
    };
    const secrets = auth && auth.pass.length >= 4 ? [auth.pass] : [];
    const allowedDomains = allowedRecipientDomains(o);
    if (o.email_from_field && allowedDomains === 'any') {
      deps.logger.warn(
        `email_allowed_domains: ['*'] lets the events of this rule choose any recipient through ${o.email_from_field}`,
      );
    }
    const where = `SMTP ${settings.host}:${settings.port}`;
    const hide = (outcome: SendOutcome): SendOutcome =>
      outcome.ok ? outcome : { ...outcome, reason: redactText(outcome.reason, secrets) };
    return {
      type: 'email',
      ...(o.email_format === 'html' ? { textFormat: 'html' as const } : {}),
      // channels are metric labels and log fields: name the destination without the addresses
      channel: `email:${urlDigest(`${settings.host}:${settings.port}/${o.email.join(',')}`)}`,
      info: () => ({ type: 'email', recipients: [...o.email] }),
      secrets: () => [...secrets],
      async send(content, signal) {
        let message: EmailMessage;
        try {
          const recipients = checkedRecipients(o, content.matches[0]);
          if (recipients.refused.length > 0) {
            deps.logger.warn(
              {
                refused: recipients.refused.length,
                allowed: [...(allowedDomains === 'any' ? [] : allowedDomains)],
              },
              `${o.email_from_field} named recipients outside the allowed domains (email_allowed_domains); they get no email`,
            );
          }
          message = emailMessage(o, content, recipients.to);
        } catch (err) {
          return { ok: false, retryable: false, reason: `email: ${errorMessage(err)}` };
        }
        try {
          const info = await smtpSend(settings, message, signal);
          if (info.rejected.length > 0) {
            deps.logger.warn(
              { rejected: info.rejected, accepted: info.accepted },
              `${where} refused some recipients; the email went to the others`,
            );
          } else {
            deps.logger.debug({ recipients: message.to }, `sent email through ${where}`);
          }
          return { ok: true };
        } catch (err) {
          return hide(smtpOutcome(where, err));
        }
      },
    };
  },
};
