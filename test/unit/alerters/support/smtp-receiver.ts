/**
 * A real SMTP server on 127.0.0.1 (smtp-server) that records what the email alerter sends: the
 * envelope, the raw message parsed with mailparser, and who logged in. Failures can be scripted
 * (an SMTP reply code at MAIL, RCPT or DATA), and the answer to DATA held back until released, to
 * exercise classification, timeouts and sessions cut short.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  user: string | undefined;
  secure: boolean;
  raw: string;
  parsed: ParsedMail;
}

export interface SmtpFailureScript {
  stage: 'mail' | 'rcpt' | 'data';
  code: number;
  message?: string;
}

export interface SmtpReceiverOptions {
  /** Require this login (AUTH PLAIN/LOGIN allowed without TLS). */
  auth?: { user: string; pass: string };
  /** 'starttls': plain port that offers STARTTLS; 'ssl': TLS from the start. Needs key and cert. */
  tls?: { mode: 'starttls' | 'ssl'; key: string; cert: string };
}

export interface SmtpReceiver {
  port: number;
  mails: ReceivedMail[];
  /** Fails the next transaction at a stage with an SMTP code. */
  failNext(f: SmtpFailureScript): void;
  /** Holds the answer to DATA until release(): a server that does not answer. */
  hold: boolean;
  /** Answers the held DATA commands; resolves once they are recorded. */
  release(): Promise<void>;
  close(): Promise<void>;
}

const smtpError = (code: number, message: string) =>
  Object.assign(new Error(message), { responseCode: code });

export async function startSmtpReceiver(options: SmtpReceiverOptions = {}): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  let failure: SmtpFailureScript | undefined;
  const held: (() => Promise<void>)[] = [];
  const takeFailure = (stage: SmtpFailureScript['stage']) => {
    if (failure?.stage !== stage) return undefined;
    const f = failure;
    failure = undefined;
    return smtpError(f.code, f.message ?? `scripted ${f.code}`);
  };
  const r: SmtpReceiver = {
    port: 0,
    mails,
    hold: false,
    release: async () => {
      await Promise.all(held.splice(0).map((finish) => finish()));
    },
    failNext: (f) => (failure = f),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const tls = options.tls;
  const server = new SMTPServer({
    logger: false,
    secure: tls?.mode === 'ssl',
    ...(tls ? { key: readFileSync(tls.key), cert: readFileSync(tls.cert) } : {}),
    disabledCommands: tls ? [] : ['STARTTLS'],
    authOptional: !options.auth,
    allowInsecureAuth: true,
    onAuth(auth, _session, cb) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass)
        return cb(null, { user: auth.username });
      cb(smtpError(535, 'Authentication credentials invalid'));
    },
    onMailFrom(_address, _session, cb) {
      cb(takeFailure('mail'));
    },
    onRcptTo(_address, _session, cb) {
      cb(takeFailure('rcpt'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const failed = takeFailure('data');
        const finish = async () => {
          if (failed) return cb(failed);
          await simpleParser(raw).then((parsed) => {
            mails.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((a) => a.address),
              user: typeof session.user === 'string' ? session.user : undefined,
              secure: session.secure,
              raw,
              parsed,
            });
            cb();
          });
        };
        if (r.hold) held.push(finish);
        else void finish();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.port = (server.server.address() as AddressInfo).port;
  return r;
}
