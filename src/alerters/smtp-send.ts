/**
 * One SMTP session for one email: connect (TLS from the start, or STARTTLS when offered), log in,
 * send, quit; bounded by a timeout and cut off by the abort signal. Failures are classified:
 * network trouble and 4xx replies are worth retrying, 5xx replies and rejected logins are not.
 */
import { createRequire } from 'node:module';
import type { ConnectionOptions } from 'node:tls';
import type MailComposer from 'nodemailer/lib/mail-composer';
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import { errorMessage } from '../errors/esalert-error.ts';
import type { SendOutcome } from './alerter.ts';

/** The message fields (everything but the SMTP session). */
// nodemailer's parts load with the first email (about 20 MB of RSS that a process without email
// rules does not need)
const require = createRequire(import.meta.url);
const mailComposer = () => require('nodemailer/lib/mail-composer') as typeof MailComposer;
const smtpConnection = () => require('nodemailer/lib/smtp-connection') as typeof SMTPConnection;

export interface EmailMessage {
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string;
  subject: string;
  body: string;
  html: boolean;
  images: { cid: string; path: string }[];
}

export interface SmtpSettings {
  host: string;
  port: number;
  ssl: boolean;
  /** Refuse to go on (and to log in) when the server offers no STARTTLS. */
  requireTls?: boolean;
  timeoutMs: number;
  tls: ConnectionOptions;
  auth?: { user: string; pass: string };
}

export interface SmtpResult {
  accepted: string[];
  rejected: string[];
}

interface SmtpFailure extends Error {
  code?: string;
  responseCode?: number;
}

function failure(message: string, code: string): SmtpFailure {
  return Object.assign(new Error(message), { code });
}

/** The RFC 5322 message: headers as ElastAlert 2 writes them; Bcc never appears. */
export function composeEmail(m: EmailMessage): Promise<Buffer> {
  return new (mailComposer())({
    from: m.from,
    to: m.to,
    ...(m.cc.length ? { cc: m.cc } : {}),
    replyTo: m.replyTo,
    subject: m.subject,
    date: new Date(),
    ...(m.html
      ? {
          html: m.body,
          attachments: m.images.map((i) => ({ path: i.path, cid: i.cid })),
        }
      : { text: m.body }),
  })
    .compile()
    .build();
}

/** Sends one email; resolves with the recipients the server accepted, rejects with an SMTP error. */
export async function smtpSend(s: SmtpSettings, m: EmailMessage, signal: AbortSignal): Promise<SmtpResult> {
  if (signal.aborted) throw failure('aborted', 'EABORT');
  let raw: Buffer;
  try {
    raw = await composeEmail(m);
  } catch (err) {
    throw failure(`cannot build the message: ${errorMessage(err)}`, 'ECOMPOSE');
  }
  // an abort while the message was being built has fired already: the listener below would miss it
  if (signal.aborted) throw failure('aborted', 'EABORT');
  const conn = new (smtpConnection())({
    host: s.host,
    port: s.port,
    secure: s.ssl,
    requireTLS: s.requireTls === true,
    connectionTimeout: s.timeoutMs,
    greetingTimeout: s.timeoutMs,
    socketTimeout: s.timeoutMs,
    socketCloseTimeout: 1000,
    tls: s.tls,
    logger: false,
  });
  return new Promise<SmtpResult>((resolve, reject) => {
    let settled = false;
    const finish = (err: SmtpFailure | null | undefined, result?: SmtpResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (err || !result) {
        conn.close();
        reject(err ?? failure('no result from the SMTP server', 'EPROTOCOL'));
      } else {
        conn.quit();
        resolve(result);
      }
    };
    const onAbort = () => finish(failure('aborted', 'EABORT'));
    const timer = setTimeout(
      () => finish(failure(`no answer within ${s.timeoutMs} ms`, 'ETIMEDOUT')),
      s.timeoutMs,
    );
    signal.addEventListener('abort', onAbort, { once: true });
    conn.on('error', (err: SmtpFailure) => finish(err));
    conn.connect((err) => {
      if (err) return finish(err);
      const send = () =>
        conn.send({ from: m.from, to: [...m.to, ...m.cc, ...m.bcc] }, raw, (sendErr, info) =>
          finish(
            sendErr,
            info ? { accepted: info.accepted.map(String), rejected: info.rejected.map(String) } : undefined,
          ),
        );
      if (!s.auth) return send();
      conn.login({ user: s.auth.user, pass: s.auth.pass }, (loginErr) =>
        loginErr ? finish(loginErr) : send(),
      );
    });
  });
}

const CERTIFICATE_TROUBLE = /certificate|self[- ]signed|CERT_|unable to verify|wrong version number|ssl|tls/i;

/** An SMTP failure as an outcome: what happened, whether retrying can help, and what to fix. */
export function smtpOutcome(where: string, err: unknown): SendOutcome {
  const e = err as SmtpFailure;
  const message = errorMessage(err).replace(/\s+/g, ' ').trim();
  const code = e?.code;
  const rc = e?.responseCode;
  if (code === 'EABORT') return { ok: false, retryable: true, reason: `${where}: aborted` };
  if (code === 'ECOMPOSE') return { ok: false, retryable: false, reason: `email: ${message}` };
  if (code === 'ETLS' && /STARTTLS/i.test(message)) {
    return {
      ok: false,
      retryable: false,
      reason: `${where} offers no STARTTLS, and the login is sent only over TLS: use smtp_ssl (port 465) if the server speaks TLS from the start, or set smtp_require_tls: false to send the password in clear text (${message})`,
    };
  }
  if (code === 'EAUTH' || code === 'ENOAUTH') {
    if (rc !== undefined && rc >= 400 && rc < 500)
      return { ok: false, retryable: true, reason: `${where}: login temporarily refused (${message})` };
    return {
      ok: false,
      retryable: false,
      reason: `${where} rejected the login: check user and password in smtp_auth_file (${message})`,
    };
  }
  if (rc !== undefined && rc >= 400 && rc < 500)
    return { ok: false, retryable: true, reason: `${where} answered ${rc}, try later: ${message}` };
  if (rc !== undefined && rc >= 500) {
    const hint =
      code === 'EENVELOPE'
        ? ' (check from_addr and the recipients)'
        : code === 'EMESSAGE'
          ? ' (the server refused the message)'
          : '';
    return { ok: false, retryable: false, reason: `${where} answered ${rc}${hint}: ${message}` };
  }
  if (code === 'ETLS' || (code !== 'ETIMEDOUT' && CERTIFICATE_TROUBLE.test(message))) {
    return {
      ok: false,
      retryable: false,
      reason: `${where}: TLS failed (${message}); check smtp_ssl / smtp_port, and smtp_ca_certs for a private CA (smtp_ignore_ssl_errors: true skips the check)`,
    };
  }
  return { ok: false, retryable: true, reason: `${where}: ${message}` };
}
