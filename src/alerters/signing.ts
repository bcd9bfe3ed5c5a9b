/**
 * Request signatures of the cloud APIs some alerters call: AWS Signature Version 4 (SNS, SQS, SES)
 * and Tencent Cloud's TC3-HMAC-SHA256, its close relative. Both hash a canonical form of the
 * request and sign a short "string to sign" with a key derived from the secret through a chain of
 * HMACs over the date, region/service and a terminator.
 */
import { createHash, createHmac } from 'node:crypto';

export const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as both schemes want it: everything but A-Z a-z 0-9 - _ . ~ is %XX (upper case). */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export interface SignableRequest {
  method: string;
  url: URL;
  /** Header names as they will be sent; the ones to sign are chosen by the caller. */
  headers: Record<string, string>;
  body: string;
}

/** Lower-cased names, values trimmed with inner runs of spaces collapsed, sorted by name. */
function canonicalHeaders(
  headers: Record<string, string>,
  lowerValues: boolean,
): { text: string; signed: string } {
  const entries = Object.entries(headers)
    .map(([k, v]) => {
      const value = v.trim().replace(/ +/g, ' ');
      return [k.toLowerCase(), lowerValues ? value.toLowerCase() : value] as const;
    })
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    text: entries.map(([k, v]) => `${k}:${v}\n`).join(''),
    signed: entries.map(([k]) => k).join(';'),
  };
}

function canonicalQuery(url: URL): string {
  return [...url.searchParams.entries()]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** TC3 lower-cases header values as well as names; AWS only the names. */
function canonicalRequest(r: SignableRequest, signedHeaders: Record<string, string>, lowerValues = false) {
  const h = canonicalHeaders(signedHeaders, lowerValues);
  // the path as sent is encoded once; AWS (all services but S3) encodes each segment once more
  const path = r.url.pathname.split('/').map(uriEncode).join('/') || '/';
  const text = [r.method, path, canonicalQuery(r.url), h.text, h.signed, sha256Hex(r.body)].join('\n');
  return { text, signedHeaders: h.signed };
}

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const amzDate = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');

/**
 * Signs a request for AWS (Signature Version 4, signed headers). Returns the headers to send: the
 * given ones plus Host, X-Amz-Date, X-Amz-Security-Token (temporary credentials) and Authorization.
 */
export function signAwsV4(
  r: SignableRequest,
  o: { credentials: AwsCredentials; region: string; service: string; now: Date },
): Record<string, string> {
  const date = amzDate(o.now);
  const day = date.slice(0, 8);
  const headers: Record<string, string> = {
    ...r.headers,
    host: r.url.host,
    'x-amz-date': date,
    ...(o.credentials.sessionToken ? { 'x-amz-security-token': o.credentials.sessionToken } : {}),
  };
  const c = canonicalRequest(r, headers);
  const scope = `${day}/${o.region}/${o.service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', date, scope, sha256Hex(c.text)].join('\n');
  let key = hmac(`AWS4${o.credentials.secretAccessKey}`, day);
  for (const part of [o.region, o.service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  const { host: _host, ...rest } = headers;
  return {
    ...rest,
    authorization: `AWS4-HMAC-SHA256 Credential=${o.credentials.accessKeyId}/${scope}, SignedHeaders=${c.signedHeaders}, Signature=${signature}`,
  };
}

/**
 * Signs a Tencent Cloud API 3.0 request (TC3-HMAC-SHA256 over Content-Type and Host, as the SDKs
 * do). Returns the Authorization header value.
 */
export function signTc3(
  r: SignableRequest,
  o: { secretId: string; secretKey: string; service: string; timestamp: number },
): string {
  const contentType = Object.entries(r.headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  const c = canonicalRequest(
    { ...r, url: new URL(r.url.origin + r.url.pathname) },
    { 'content-type': contentType, host: r.url.host },
    true,
  );
  const day = new Date(o.timestamp * 1000).toISOString().slice(0, 10);
  const scope = `${day}/${o.service}/tc3_request`;
  const toSign = ['TC3-HMAC-SHA256', String(o.timestamp), scope, sha256Hex(c.text)].join('\n');
  let key = hmac(`TC3${o.secretKey}`, day);
  for (const part of [o.service, 'tc3_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return `TC3-HMAC-SHA256 Credential=${o.secretId}/${scope}, SignedHeaders=${c.signedHeaders}, Signature=${signature}`;
}
