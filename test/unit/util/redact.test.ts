/**
 * Secrets out of logs, reasons and writeback documents (src/util/redact.ts, src/app/logger.ts,
 * src/alerters/header-secrets.ts): every form a secret comes back in is masked, errors stay
 * readable, cycles do not throw, credential fields are masked at any depth.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { headerSecrets } from '../../../src/alerters/header-secrets.ts';
import { createLogger, SecretRegistry } from '../../../src/app/logger.ts';
import { MAX_LOG_CHARS, redactDeep, redactText, scrubForLog } from '../../../src/util/redact.ts';

const SECRET = 'p@ss"word/with+odd=chars-123';

describe('redactText', () => {
  it('masks the secret as written, URL-encoded, JSON-escaped and base64-encoded', () => {
    const b64 = Buffer.from(SECRET).toString('base64');
    const texts = [
      `x ${SECRET} y`,
      `x ${encodeURIComponent(SECRET)} y`,
      `{"echo": ${JSON.stringify(SECRET)}}`,
      `x ${b64} y`,
      `x ${b64.replace(/=+$/, '')} y`,
      `x ${b64.replace(/\+/g, '-').replace(/\//g, '_')} y`,
    ];
    for (const t of texts) expect(redactText(t, [SECRET]), t).not.toMatch(/p@ss|cEBzc|word/);
  });

  it('finds a secret inside a longer base64 text, whatever its alignment (Basic user:password)', () => {
    for (const prefix of ['', 'u:', 'us:', 'user:']) {
      const basic = Buffer.from(`${prefix}${SECRET}`).toString('base64');
      const out = redactText(`Authorization: Basic ${basic}`, [SECRET]);
      expect(out).toContain('***');
      // what is left of the encoding no longer decodes to the secret
      const rest = out.replace('Authorization: Basic ', '').split('***').join('');
      expect(Buffer.from(rest, 'base64').toString('latin1')).not.toContain(SECRET.slice(4, 12));
    }
  });

  it('leaves texts without the secret alone, and ignores secrets shorter than 4 characters', () => {
    expect(redactText('nothing to see', [SECRET, 'abc'])).toBe('nothing to see');
    expect(redactText('abc abc', ['abc'])).toBe('abc abc');
  });
});

describe('scrubForLog and redactDeep', () => {
  it('keep errors readable: message, stack, code and cause, with secrets masked', () => {
    const err = Object.assign(new Error(`login failed for ${SECRET}`), { code: 'EAUTH' });
    err.cause = new Error(`cause ${SECRET}`);
    for (const out of [scrubForLog({ err }, [SECRET]).err, redactDeep({ err }, [SECRET]).err]) {
      expect(out).toBeInstanceOf(Error);
      expect(out.message).toBe('login failed for ***');
      expect(out.stack).toContain('login failed for ***');
      expect(out.stack).not.toContain(SECRET);
      expect((out as Error & { code: string }).code).toBe('EAUTH');
      expect((out.cause as Error).message).toBe('cause ***');
    }
  });

  it('cut log strings longer than MAX_LOG_CHARS, with a marker', () => {
    const out = scrubForLog({ text: 'x'.repeat(MAX_LOG_CHARS + 100) }, []);
    expect(out.text).toBe(`${'x'.repeat(MAX_LOG_CHARS)}…(truncated, 100 more characters)`);
    expect(redactDeep({ text: 'x'.repeat(MAX_LOG_CHARS + 100) }, ['abcd']).text).toHaveLength(
      MAX_LOG_CHARS + 100,
    );
  });

  it('survive cycles', () => {
    const a: Record<string, unknown> = { name: SECRET };
    a.self = a;
    a.list = [a];
    const out = scrubForLog(a, [SECRET]);
    expect(out.name).toBe('***');
    expect(JSON.stringify({ ...out, self: undefined, list: undefined })).not.toContain(SECRET);
    expect(() => redactDeep(a, [SECRET])).not.toThrow();
  });

  it('mask fields named like credentials at any depth, even when nobody registered the value', () => {
    const out = scrubForLog(
      {
        request: { headers: { Authorization: 'Bearer unregistered-token-1234' } },
        deeper: [{ options: { es_password: 'x', http_post_headers: { a: 'b' }, 'X-Api-Key': 'k' } }],
        key: 'rule.pod-1',
        keywords: ['alert'],
      },
      [],
    );
    expect(out).toEqual({
      request: { headers: '***' },
      deeper: [{ options: { es_password: '***', http_post_headers: '***', 'X-Api-Key': '***' } }],
      key: 'rule.pod-1',
      keywords: ['alert'],
    });
  });
});

describe('the logger', () => {
  function capture() {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _e, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const secrets = new SecretRegistry();
    const logger = createLogger({ level: 'debug', format: 'json', destination }, secrets);
    return { logger, secrets, text: () => lines.join('') };
  }

  it('logs {err} with its message once a secret is registered, masked', () => {
    const { logger, secrets, text } = capture();
    secrets.add(SECRET);
    logger.error({ err: new Error(`boom ${SECRET}`) }, 'failed');
    const line = JSON.parse(text()) as { err: { message: string; stack: string; type: string } };
    expect(line.err.message).toBe('boom ***');
    expect(line.err.type).toBe('Error');
    expect(text()).not.toContain(SECRET);
  });

  it('does not throw on a circular object, and masks headers at any depth', () => {
    const { logger, text } = capture();
    const o: Record<string, unknown> = {
      a: { b: { headers: { authorization: 'Bearer t0ken-abcdef123456' } } },
    };
    o.self = o;
    expect(() => logger.info(o, 'circular')).not.toThrow();
    expect(text()).toContain('circular');
    expect(text()).not.toContain('t0ken-abcdef123456');
  });

  it('masks fields named like credentials in every log line, registered or not', () => {
    const { logger, text } = capture();
    logger.info(
      { password: 'pw-unregistered-1', config: { es_password: 'pw-unregistered-2', dingtalk_sign: 'SEC-3' } },
      'options',
    );
    logger.child({ rule: 'r' }).warn({ alerter: { work_wechat_bot_id: 'bot-unregistered-4' } }, 'child');
    expect(text()).toContain('options');
    expect(text()).not.toMatch(/pw-unregistered|SEC-3|bot-unregistered/);
  });

  it('takes numeric secrets, and masks their base64 and JSON-escaped forms', () => {
    const { logger, secrets, text } = capture();
    secrets.add(12345678);
    logger.info(
      { reply: `{"echo":"${Buffer.from('12345678').toString('base64')}"}`, n: '12345678' },
      'echoed',
    );
    expect(text()).not.toMatch(/12345678|MTIzNDU2Nzg/);
  });
});

describe('headerSecrets', () => {
  it('takes credential headers at any depth with their parts, and token-like values of other headers', () => {
    const basic = Buffer.from('robot:basic-pass-123').toString('base64');
    expect(
      new Set(
        headerSecrets({
          Authorization: 'Bearer bearer-token-abcdef',
          'X-Api-Key': 'key-1234',
          Cookie: ['session=cookie-value-1'],
          nested: { 'Proxy-Authorization': `Basic ${basic}` },
          'X-Trace': 'a1b2c3d4e5f6a7b8c9d0',
          'Content-Type': 'application/json;charset=utf-8',
          'X-Team': 'ops',
          'X-Templated-Token': 'Bearer {{ token }}',
        }),
      ),
    ).toEqual(
      new Set([
        'Bearer bearer-token-abcdef',
        'bearer-token-abcdef',
        'key-1234',
        'session=cookie-value-1',
        `Basic ${basic}`,
        basic,
        'robot:basic-pass-123',
        'basic-pass-123',
        'a1b2c3d4e5f6a7b8c9d0',
      ]),
    );
  });
});
