/**
 * Receiver-side checks of the signatures AWS (Signature Version 4) and Tencent Cloud
 * (TC3-HMAC-SHA256) document, written from their published algorithms, independently of the
 * signer under test: the receiver rebuilds the canonical request from what arrived on the wire
 * and recomputes the signature with the secret it knows.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { header, type Request } from '../../../integration/support/http-receiver.ts';

const hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const mac = (key: Buffer | string, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();

/** RFC 3986 unreserved characters stay, everything else is %XX with upper-case hex. */
function rfc3986(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function equalHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/**
 * Verifies an AWS Signature Version 4 Authorization header. `secrets` maps access key ids to
 * secret keys. Returns the problem, or undefined when the signature is right.
 */
export function verifySigV4(
  req: Request,
  expect: { secrets: Record<string, string>; region: string; service: string; now?: number },
): string | undefined {
  const auth = header(req, 'authorization') ?? '';
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m) return `Authorization is not an AWS4-HMAC-SHA256 header: ${auth.slice(0, 40)}`;
  const [, keyId, day, region, service, signedList, signature] = m as unknown as string[];
  const secret = expect.secrets[keyId!];
  if (secret === undefined) return 'InvalidClientTokenId: unknown access key id';
  if (region !== expect.region) return `the credential scope names region ${region}, not ${expect.region}`;
  if (service !== expect.service)
    return `the credential scope names service ${service}, not ${expect.service}`;
  const date = header(req, 'x-amz-date') ?? '';
  if (!/^\d{8}T\d{6}Z$/.test(date) || date.slice(0, 8) !== day)
    return 'X-Amz-Date missing or not the scope date';
  const at = Date.UTC(
    +date.slice(0, 4),
    +date.slice(4, 6) - 1,
    +date.slice(6, 8),
    +date.slice(9, 11),
    +date.slice(11, 13),
    +date.slice(13, 15),
  );
  if (Math.abs((expect.now ?? Date.now()) - at) > 5 * 60_000) return 'RequestTimeTooSkewed';
  const signed = signedList!.split(';');
  if (!signed.includes('host')) return 'the host header is not signed';
  if (!signed.includes('x-amz-date')) return 'x-amz-date is not signed';
  if ([...signed].sort().join(';') !== signedList) return 'SignedHeaders are not sorted';
  const canonicalHeaders = signed
    .map((name) => {
      const v = req.headers[name];
      const value = (Array.isArray(v) ? v.join(',') : (v ?? '')).trim().replace(/\s+/g, ' ');
      return `${name}:${value}\n`;
    })
    .join('');
  // the path as it went over the wire (encoded once), each segment encoded once more
  const path = req.pathname.split('/').map(rfc3986).join('/') || '/';
  const pairs: [string, string][] = [...req.query.entries()].map(([k, v]) => [rfc3986(k), rfc3986(v)]);
  pairs.sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1));
  const canonical = [
    req.method,
    path,
    pairs.map(([k, v]) => `${k}=${v}`).join('&'),
    canonicalHeaders,
    signedList,
    hex(req.raw),
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${date}\n${scope}\n${hex(canonical)}`;
  const kDate = mac(`AWS4${secret}`, day!);
  const kSigning = mac(mac(mac(kDate, region!), service!), 'aws4_request');
  const expected = createHmac('sha256', kSigning).update(stringToSign).digest('hex');
  return equalHex(expected, signature!) ? undefined : 'SignatureDoesNotMatch';
}

/** Verifies a Tencent Cloud TC3-HMAC-SHA256 Authorization header (POST, JSON body). */
export function verifyTc3(
  req: Request,
  expect: { secrets: Record<string, string>; service: string; now?: number },
): string | undefined {
  const auth = header(req, 'authorization') ?? '';
  const m =
    /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/([^/]+)\/tc3_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m) return `AuthFailure.SignatureFailure: Authorization is not TC3-HMAC-SHA256: ${auth.slice(0, 40)}`;
  const [, secretId, day, service, signedList, signature] = m as unknown as string[];
  const secret = expect.secrets[secretId!];
  if (secret === undefined) return 'AuthFailure.SecretIdNotFound';
  if (service !== expect.service)
    return `the credential scope names service ${service}, not ${expect.service}`;
  const timestamp = Number(header(req, 'x-tc-timestamp'));
  if (!Number.isInteger(timestamp)) return 'X-TC-Timestamp missing';
  if (Math.abs((expect.now ?? Date.now()) / 1000 - timestamp) > 300) return 'AuthFailure.SignatureExpire';
  if (new Date(timestamp * 1000).toISOString().slice(0, 10) !== day)
    return 'the credential date is not the UTC date of X-TC-Timestamp';
  const signed = signedList!.split(';');
  if (!signed.includes('content-type') || !signed.includes('host'))
    return 'content-type and host must be signed';
  const canonicalHeaders = signed
    .map(
      (name) =>
        `${name}:${String(req.headers[name] ?? '')
          .trim()
          .toLowerCase()}\n`,
    )
    .join('');
  const canonical = ['POST', '/', '', canonicalHeaders, signedList, hex(req.raw)].join('\n');
  const scope = `${day}/${service}/tc3_request`;
  const stringToSign = `TC3-HMAC-SHA256\n${timestamp}\n${scope}\n${hex(canonical)}`;
  const kSigning = mac(mac(mac(`TC3${secret}`, day!), service!), 'tc3_request');
  const expected = createHmac('sha256', kSigning).update(stringToSign).digest('hex');
  return equalHex(expected, signature!) ? undefined : 'AuthFailure.SignatureFailure';
}
