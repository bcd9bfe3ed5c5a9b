/**
 * The request signers against AWS's published Signature Version 4 example, and against the
 * receiver-side verifiers the contract harnesses use (written separately from the documented
 * algorithms): what one signs the other accepts, and any change to the request breaks it.
 */
import { describe, expect, it } from 'vitest';
import { signAwsV4, signTc3 } from '../../../src/alerters/signing.ts';
import { verifySigV4, verifyTc3 } from './support/cloud-signatures.ts';
import type { Request } from '../../integration/support/http-receiver.ts';

const KEY = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

/** A request as the receiver sees it, from what the signer was given plus its headers. */
function arrived(method: string, url: URL, headers: Record<string, string>, body: string): Request {
  return {
    method,
    path: url.pathname + url.search,
    pathname: url.pathname,
    query: url.searchParams,
    headers: Object.fromEntries(
      Object.entries({ ...headers, host: url.host }).map(([k, v]) => [k.toLowerCase(), v]),
    ),
    raw: Buffer.from(body),
    body,
    json: undefined,
    form: new URLSearchParams(body),
  };
}

describe('AWS Signature Version 4', () => {
  it("reproduces AWS's documented example (IAM ListUsers, 2015-08-30)", () => {
    const headers = signAwsV4(
      {
        method: 'GET',
        url: new URL('https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08'),
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body: '',
      },
      { credentials: KEY, region: 'us-east-1', service: 'iam', now: new Date('2015-08-30T12:36:00Z') },
    );
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    );
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
  });

  it("the receiver's verifier accepts AWS's documented example as it was sent", () => {
    const url = new URL('https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08');
    const req = arrived(
      'GET',
      url,
      {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        'x-amz-date': '20150830T123600Z',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
      },
      '',
    );
    const check = {
      secrets: { AKIDEXAMPLE: KEY.secretAccessKey },
      region: 'us-east-1',
      service: 'iam',
      now: Date.UTC(2015, 7, 30, 12, 36),
    };
    expect(verifySigV4(req, check)).toBeUndefined();
    expect(verifySigV4({ ...req, method: 'POST' }, check)).toBe('SignatureDoesNotMatch');
  });

  const now = new Date();
  const url = new URL('http://127.0.0.1:4566/123456789012/queue?b=2&a=x%20y&a=%2F');
  const body = 'Action=Publish&Message=caf%C3%A9+%E2%82%AC';
  const sign = (credentials = KEY) =>
    signAwsV4(
      { method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body },
      { credentials, region: 'eu-west-1', service: 'sns', now },
    );
  const verify = (req: Request, secrets: Record<string, string> = { AKIDEXAMPLE: KEY.secretAccessKey }) =>
    verifySigV4(req, { secrets, region: 'eu-west-1', service: 'sns' });

  it('signs what the receiver recomputes, query strings and temporary credentials included', () => {
    expect(verify(arrived('POST', url, sign(), body))).toBeUndefined();
    const withToken = sign({ ...KEY, sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN' } as typeof KEY);
    expect(withToken['x-amz-security-token']).toBe('FwoGZXIvYXdzEXAMPLETOKEN');
    expect(withToken.authorization).toContain('x-amz-security-token');
    expect(verify(arrived('POST', url, withToken, body))).toBeUndefined();
  });

  it('the receiver refuses a changed body, a wrong secret, another region and an old date', () => {
    expect(verify(arrived('POST', url, sign(), `${body}x`))).toBe('SignatureDoesNotMatch');
    expect(verify(arrived('POST', url, sign(), body), { AKIDEXAMPLE: 'another-secret' })).toBe(
      'SignatureDoesNotMatch',
    );
    expect(verify(arrived('POST', url, sign(), body), {})).toMatch(/InvalidClientTokenId/);
    expect(
      verifySigV4(arrived('POST', url, sign(), body), {
        secrets: { AKIDEXAMPLE: KEY.secretAccessKey },
        region: 'us-east-1',
        service: 'sns',
      }),
    ).toMatch(/region/);
    const old = signAwsV4(
      { method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body },
      { credentials: KEY, region: 'eu-west-1', service: 'sns', now: new Date(Date.now() - 10 * 60_000) },
    );
    expect(verify(arrived('POST', url, old, body))).toBe('RequestTimeTooSkewed');
  });
});

describe('Tencent Cloud TC3-HMAC-SHA256', () => {
  const url = new URL('https://sms.tencentcloudapi.com');
  const body = JSON.stringify({ PhoneNumberSet: ['+8613711112222'], TemplateParamSet: ['短信'] });
  const headers = { 'Content-Type': 'application/json; charset=utf-8' };
  const timestamp = Math.floor(Date.now() / 1000);
  const authorization = signTc3(
    { method: 'POST', url, headers, body },
    {
      secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE',
      secretKey: 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE',
      service: 'sms',
      timestamp,
    },
  );
  const req = (b = body, ts = timestamp) =>
    arrived('POST', url, { ...headers, authorization, 'x-tc-timestamp': String(ts) }, b);
  const verify = (r: Request, secret = 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE') =>
    verifyTc3(r, { secrets: { AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE: secret }, service: 'sms' });

  it('has the documented header layout, with the UTC date of the timestamp in the scope', () => {
    const day = new Date(timestamp * 1000).toISOString().slice(0, 10);
    expect(authorization).toMatch(
      new RegExp(
        `^TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/${day}/sms/tc3_request, SignedHeaders=content-type;host, Signature=[0-9a-f]{64}$`,
      ),
    );
  });

  it('signs what the receiver recomputes; a changed body, key or time is refused', () => {
    expect(verify(req())).toBeUndefined();
    expect(verify(req(body.replace('短信', 'sms')))).toBe('AuthFailure.SignatureFailure');
    expect(verify(req(), 'another-key')).toBe('AuthFailure.SignatureFailure');
    expect(verify(req(body, timestamp + 1))).toBe('AuthFailure.SignatureFailure');
  });
});
