import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../../src/http/console/http-auth.ts';
import { csrfProblem } from '../../../src/http/console/request-guard.ts';
import { testConfig } from '../../support/config.ts';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('http_auth: who is calling', () => {
  const auth = createAuthenticator({
    anonymousRead: true,
    tokens: [
      { name: 'oncall', token: 'tok-0123456789abcdef', write: true },
      { name: 'viewer', token: 'tok-readonly-0123456789', write: false },
    ],
    users: [{ username: 'alice', password: 'correct horse', write: true }],
  });

  it('anonymous visitors read and never write', () => {
    expect(auth.check(undefined)).toEqual({ ok: true, principal: { user: null, read: true, write: false } });
    const closed = createAuthenticator({ anonymousRead: false, tokens: [], users: [] });
    expect(closed.check(undefined)).toEqual({
      ok: true,
      principal: { user: null, read: false, write: false },
    });
  });

  it('knows bearer tokens and basic users, with their write access', () => {
    expect(auth.check('Bearer tok-0123456789abcdef')).toEqual({
      ok: true,
      principal: { user: 'oncall', read: true, write: true },
    });
    expect(auth.check('bearer tok-readonly-0123456789')).toEqual({
      ok: true,
      principal: { user: 'viewer', read: true, write: false },
    });
    expect(auth.check(basic('alice', 'correct horse'))).toEqual({
      ok: true,
      principal: { user: 'alice', read: true, write: true },
    });
  });

  it('refuses wrong credentials without saying which part was wrong', () => {
    expect(auth.check('Bearer tok-0123456789abcdeX')).toEqual({ ok: false, reason: 'unknown token' });
    expect(auth.check(basic('alice', 'wrong'))).toEqual({
      ok: false,
      reason: 'unknown user or wrong password',
    });
    expect(auth.check(basic('mallory', 'correct horse'))).toEqual({
      ok: false,
      reason: 'unknown user or wrong password',
    });
    expect(auth.check('Digest abc').ok).toBe(false);
    expect(auth.check('garbage').ok).toBe(false);
  });

  it('without http_auth nobody can write, whatever they send', () => {
    const none = createAuthenticator(undefined);
    expect(none.configured).toBe(false);
    expect(none.check('Bearer anything-at-all-here').ok).toBe(false);
    expect(none.check(undefined)).toEqual({ ok: true, principal: { user: null, read: true, write: false } });
  });
});

describe('http_auth in config.yaml', () => {
  it('reads tokens and users with their defaults', () => {
    const c = testConfig({
      http_auth: {
        tokens: [{ name: 'oncall', token: 'x'.repeat(16) }],
        users: [{ username: 'bob', password: 'y'.repeat(8), write: false }],
      },
    });
    expect(c.httpAuth).toEqual({
      anonymousRead: true,
      tokens: [{ name: 'oncall', token: 'x'.repeat(16), write: true }],
      users: [{ username: 'bob', password: 'y'.repeat(8), write: false }],
    });
    expect(c.raw.http_auth).toBeUndefined();
    expect(testConfig().httpAuth).toBeUndefined();
    expect(testConfig().console).toEqual({
      timezone: undefined,
      k8sIndex: 'eventrouter-*',
      k8sTimestampField: '@timestamp',
      k8sKeywordSuffix: '.keyword',
    });
  });

  it('refuses short, unset, duplicate and unknown settings, at their line', () => {
    const bad = (http_auth: unknown) => () => testConfig({ http_auth }, 'config.yaml');
    expect(bad({ tokens: [{ name: 'a', token: 'short' }] })).toThrow(
      /tokens\[0\]\.token must be at least 16 characters/,
    );
    expect(bad({ tokens: [{ name: 'a', token: '${CONSOLE_TOKEN}' }] })).toThrow(
      /refers to \$\{CONSOLE_TOKEN\}, which is not set/,
    );
    expect(
      bad({
        tokens: [
          { name: 'a', token: 'x'.repeat(16) },
          { name: 'a', token: 'y'.repeat(16) },
        ],
      }),
    ).toThrow(/"a" is used twice/);
    expect(
      bad({
        tokens: [
          { name: 'a', token: 'x'.repeat(16) },
          { name: 'b', token: 'x'.repeat(16) },
        ],
      }),
    ).toThrow(/same as another token/);
    expect(bad({ token: 'x'.repeat(16) })).toThrow(/unknown key "token"/);
    expect(bad({ users: [{ username: 'bob', password: 'short' }] })).toThrow(
      /config\.yaml:1: http_auth\.users\[0\]\.password must be at least 8/,
    );
    expect(() => testConfig({ console: { timezone: 'Mars/Olympus' } })).toThrow(
      /console\.timezone must be an IANA time zone/,
    );
  });
});

describe('CSRF checks on writes', () => {
  const req = (headers: Record<string, string>) =>
    ({ headers: { host: 'esalert:9090', ...headers } }) as unknown as IncomingMessage;
  const json = { 'x-esalert-request': '1', 'content-type': 'application/json' };

  it('lets the console and API clients through', () => {
    expect(csrfProblem(req(json), true)).toBeUndefined();
    expect(
      csrfProblem(req({ ...json, origin: 'http://esalert:9090', 'sec-fetch-site': 'same-origin' }), true),
    ).toBeUndefined();
    expect(csrfProblem(req({ 'x-esalert-request': '1' }), false)).toBeUndefined();
  });

  it('refuses requests a cross-site page or form could make', () => {
    expect(csrfProblem(req({ 'content-type': 'application/json' }), true)).toMatch(/X-Esalert-Request/);
    expect(csrfProblem(req({ ...json, origin: 'https://evil.example' }), true)).toMatch(/cross-origin/);
    expect(csrfProblem(req({ ...json, origin: 'null' }), true)).toMatch(/cross-origin/);
    expect(csrfProblem(req({ ...json, 'sec-fetch-site': 'cross-site' }), true)).toMatch(/cross-site/);
    expect(csrfProblem(req({ 'x-esalert-request': '1', 'content-type': 'text/plain' }), true)).toMatch(
      /JSON/,
    );
    expect(
      csrfProblem(
        req({ 'x-esalert-request': '1', 'content-type': 'application/x-www-form-urlencoded' }),
        true,
      ),
    ).toMatch(/JSON/);
  });
});
