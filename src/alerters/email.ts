/**
 * ElastAlert 2's `email` alerter over SMTP (nodemailer's SMTP connection): the same recipients
 * (email_from_field, email_add_domain, cc, bcc only in the envelope), subject and headers; STARTTLS
 * when the server offers it, TLS from the start with smtp_ssl, login from smtp_auth_file.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { stringList } from '../config/fields.ts';
import { errorMessage } from '../errors/esalert-error.ts';
import type { Match } from '../model/match.ts';
import { type Doc, lookupField, pythonStr } from '../model/lookup.ts';
import { redactText } from '../util/redact.ts';
import type { AlertContent, AlerterDefinition, SendOutcome } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { readOptions } from './options.ts';
import { type EmailMessage, type SmtpSettings, smtpOutcome, smtpSend } from './smtp-send.ts';
import { parseYaml } from '../config/yaml-source.ts';

const schema = z.object({
  email: stringList,
  email_from_field: z.string().optional(),
  email_add_domain: z.string().optional(),
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

function resolvePath(ruleDir: string, file: string): string {
  return isAbsolute(file) ? file : join(ruleDir, file);
}

function readFileOption(option: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new OptionProblem(
      option,
      `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`,
    );
  }
}

function readAuthFile(ruleDir: string, file: string): { user: string; pass: string } {
  const path = resolvePath(ruleDir, file);
  let doc: unknown;
  try {
    // read as ElastAlert 2 reads it (PyYAML)
    doc = parseYaml(path, readFileOption('smtp_auth_file', path).toString('utf8')).value;
  } catch (err) {
    if (err instanceof OptionProblem) throw err;
    throw new OptionProblem('smtp_auth_file', `${path} is not valid YAML`);
  }
  const d = (doc ?? {}) as Doc;
  if (typeof d !== 'object' || d.user === undefined || d.password === undefined) {
    throw new OptionProblem('smtp_auth_file', `${path} must hold "user:" and "password:" lines`);
  }
  return { user: String(d.user), pass: String(d.password) };
}

export function emailMessage(o: EmailOptions, content: AlertContent): EmailMessage {
  const to = emailRecipients(o, content.matches[0]);
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
    const auth = o.smtp_auth_file ? readAuthFile(deps.ruleDir, o.smtp_auth_file) : undefined;
    const cert = o.smtp_cert_file
      ? readFileOption('smtp_cert_file', resolvePath(deps.ruleDir, o.smtp_cert_file))
      : undefined;
    const key = o.smtp_key_file
      ? readFileOption('smtp_key_file', resolvePath(deps.ruleDir, o.smtp_key_file))
      : cert;
    const ca = o.smtp_ca_certs
      ? readFileOption('smtp_ca_certs', resolvePath(deps.ruleDir, o.smtp_ca_certs))
      : undefined;
    const settings: SmtpSettings = {
      host: o.smtp_host,
      port: o.smtp_port ?? (o.smtp_ssl ? 465 : 25),
      ssl: o.smtp_ssl,
      timeoutMs: o.smtp_timeout * 1000,
      // As ElastAlert 2: the server's certificate is checked only when a CA or client certificate is configured.
      tls: {
        rejectUnauthorized: ca !== undefined || cert !== undefined,
        ...(ca ? { ca } : {}),
        ...(cert ? { cert, key } : {}),
      },
      ...(auth ? { auth } : {}),
    };
    const secrets = auth && auth.pass.length >= 4 ? [auth.pass] : [];
    const where = `SMTP ${settings.host}:${settings.port}`;
    const hide = (outcome: SendOutcome): SendOutcome =>
      outcome.ok ? outcome : { ...outcome, reason: redactText(outcome.reason, secrets) };
    return {
      type: 'email',
      channel: `email:${o.email.join(',')}`,
      info: () => ({ type: 'email', recipients: [...o.email] }),
      secrets: () => [...secrets],
      async send(content, signal) {
        let message: EmailMessage;
        try {
          message = emailMessage(o, content);
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
