/**
 * One signed AWS API call for the sns, sqs and ses alerters: credentials found as boto3 finds them
 * (config/aws-credentials.ts), the request signed with Signature Version 4, and AWS's error replies
 * (XML for the query protocol, JSON for the JSON protocol) classified as retryable or permanent
 * with what to fix.
 */
import {
  AwsCredentialsError,
  type AwsSettings,
  awsEndpointFromEnv,
  resolveAwsSettings,
} from '../config/aws-credentials.ts';
import type { EnvLookup } from '../config/interpolate.ts';
import type { Doc } from '../model/lookup.ts';
import type { AlerterDeps, SendOutcome } from './alerter.ts';
import { type HttpResult, retryAfterMs } from './http.ts';
import { failed, isSuccess, type ReplyReader, sendRequest } from './send-request.ts';
import { signAwsV4 } from './signing.ts';

export interface AwsClientOptions {
  /** The rule option prefix ("sns"), for messages that name what to set. */
  prefix: string;
  /** The signing name and endpoint prefix ("sns", "sqs", "email" for SES). */
  service: string;
  signingName: string;
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  profile?: string | undefined;
  /** The region the rule asks for, or one implied by an ARN or a queue URL. */
  region?: string | undefined;
  /** An endpoint URL given in the rule (esalert option), else AWS_ENDPOINT_URL_<SERVICE>, else AWS's. */
  endpoint?: string | undefined;
  timeoutMs: number;
  env: EnvLookup | undefined;
}

/** The rule options that set an AWS alerter's credentials, named after its prefix. */
const optionNames = (prefix: string) => ({
  keyId: `${prefix}_aws_access_key_id`,
  secret: `${prefix}_aws_secret_access_key`,
  profile: `${prefix}_aws_profile`,
});

export interface AwsCall {
  /** Query protocol: the form fields; JSON protocol: the JSON text. */
  body: string;
  contentType: string;
  headers?: Record<string, string>;
  /** Overrides the endpoint (SQS sends to the queue's own host). */
  url?: string;
}

export interface AwsClient {
  secrets(): string[];
  /** Where calls go, for info() and logs (no secrets in it). */
  endpoint(): string;
  /** One signed call and what its reply means; network failures throw (channelAlerter catches them). */
  call(c: AwsCall, signal: AbortSignal, what: string): Promise<SendOutcome>;
}

const RETRYABLE_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'RequestTimeout',
  'RequestTimeoutException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalError',
  'InternalErrorException',
  'KMSThrottlingException',
  'ExpiredToken',
  'ExpiredTokenException',
]);

/** The error code and message in an AWS error reply (query-protocol XML or JSON-protocol JSON). */
export function awsError(result: HttpResult): { code?: string; message?: string } {
  const header = result.headers['x-amzn-query-error'] ?? result.headers['x-amzn-errortype'];
  const headerCode = (Array.isArray(header) ? header[0] : header)?.split(/[;:]/)[0];
  const xmlCode = /<Code>([^<]{1,200})<\/Code>/.exec(result.body)?.[1];
  const xmlMessage = /<Message>([^<]{0,1000})<\/Message>/.exec(result.body)?.[1];
  let jsonCode: string | undefined;
  let jsonMessage: string | undefined;
  if (!xmlCode && result.body.trimStart().startsWith('{')) {
    try {
      const d = JSON.parse(result.body) as Record<string, unknown>;
      const type = typeof d.__type === 'string' ? d.__type : typeof d.code === 'string' ? d.code : undefined;
      jsonCode = type?.split('#').pop();
      const m = d.message ?? d.Message;
      jsonMessage = typeof m === 'string' ? m : undefined;
    } catch {
      // not JSON after all
    }
  }
  const code = xmlCode ?? jsonCode ?? headerCode;
  const message = xmlMessage ?? jsonMessage;
  return {
    ...(code ? { code: code.replace(/^AWS\.SimpleQueueService\./, '') } : {}),
    ...(message ? { message } : {}),
  };
}

function hint(code: string | undefined, o: AwsClientOptions, source: string): string {
  const n = optionNames(o.prefix);
  switch (code) {
    case 'InvalidClientTokenId':
    case 'UnrecognizedClientException':
      return ` (the access key id from ${source} is not known to AWS: check ${n.keyId} or ${n.profile})`;
    case 'SignatureDoesNotMatch':
    case 'IncompleteSignature':
      return ` (the secret access key from ${source} does not match its key id: check ${n.secret})`;
    case 'AccessDenied':
    case 'AccessDeniedException':
    case 'AuthorizationError':
      return ` (the credentials from ${source} may not do this: grant the IAM permission)`;
    case 'RequestTimeTooSkewed':
    case 'SignatureExpired':
    case 'InvalidSignatureException':
      return " (this host's clock is off by more than 5 minutes: sync it with NTP)";
    case 'ExpiredToken':
    case 'ExpiredTokenException':
      return ` (the temporary credentials from ${source} expired)`;
    default:
      return '';
  }
}

/** Reads AWS replies: 2xx is sent; an error reply is classified by its code, with what to fix. */
export function awsReply(where: string, o: AwsClientOptions, source: string): ReplyReader {
  return (r) => {
    if (isSuccess(r.status)) return { ok: true };
    const { code, message } = awsError(r);
    const retryable =
      r.status === 429 || r.status >= 500 || (code !== undefined && RETRYABLE_CODES.has(code));
    const detail = [code, message].filter(Boolean).join(': ') || r.body.slice(0, 300);
    return failed(
      retryable,
      `${where} answered HTTP ${r.status}${detail ? `: ${detail}` : ''}${hint(code, o, source)}`,
      retryAfterMs(r.headers),
    );
  };
}

/**
 * The client of an alerter with ElastAlert 2's `<prefix>_aws_access_key_id`,
 * `<prefix>_aws_secret_access_key` and `<prefix>_aws_profile` options and a `<prefix>_timeout`.
 */
export function awsClientFor(
  options: object,
  prefix: string,
  deps: Pick<AlerterDeps, 'env'>,
  target: Pick<AwsClientOptions, 'service' | 'signingName' | 'region' | 'endpoint'>,
): AwsClient {
  const o = options as Doc;
  const n = optionNames(prefix);
  const text = (key: string) => (typeof o[key] === 'string' ? (o[key] as string) : undefined);
  const timeout = o[`${prefix}_timeout`];
  return createAwsClient({
    prefix,
    ...target,
    accessKeyId: text(n.keyId),
    secretAccessKey: text(n.secret),
    profile: text(n.profile),
    timeoutMs: (typeof timeout === 'number' ? timeout : 10) * 1000,
    env: deps.env,
  });
}

export function createAwsClient(o: AwsClientOptions): AwsClient {
  const env = o.env ?? (() => undefined);
  const names = optionNames(o.prefix);
  const known = new Set<string>();
  const remember = (s: AwsSettings) => {
    known.add(s.credentials.secretAccessKey);
    if (s.credentials.sessionToken) known.add(s.credentials.sessionToken);
  };
  const request = {
    ...(o.accessKeyId ? { accessKeyId: o.accessKeyId } : {}),
    ...(o.secretAccessKey ? { secretAccessKey: o.secretAccessKey } : {}),
    ...(o.profile ? { profile: o.profile } : {}),
  };
  if (o.secretAccessKey) known.add(o.secretAccessKey);
  const resolve = (): AwsSettings => {
    const s = resolveAwsSettings(request, env);
    remember(s);
    return s;
  };
  // Found now so that the secrets are known before anything is logged; looked up again per call.
  let settings: AwsSettings | undefined;
  try {
    settings = resolve();
  } catch {
    settings = undefined;
  }
  const regionOf = (s: AwsSettings | undefined) => o.region ?? s?.region ?? 'us-east-1';
  const endpointFor = (region: string) =>
    o.endpoint ?? awsEndpointFromEnv(env, o.prefix) ?? `https://${o.service}.${region}.amazonaws.com/`;
  const secrets = () => [...known].filter((s) => s.length >= 4);
  return {
    secrets,
    endpoint: () => endpointFor(regionOf(settings)),
    call: (c, signal, what) => {
      try {
        settings = resolve();
      } catch (err) {
        if (!(err instanceof AwsCredentialsError)) throw err;
        return Promise.resolve(
          failed(false, `${what}: ${err.message} (${names.keyId}, ${names.secret}, ${names.profile})`),
        );
      }
      const region = regionOf(settings);
      const url = new URL(c.url ?? endpointFor(region));
      const headers = signAwsV4(
        { method: 'POST', url, headers: { 'content-type': c.contentType, ...c.headers }, body: c.body },
        { credentials: settings.credentials, region, service: o.signingName, now: new Date() },
      );
      const where = `${what} (${url.host}, ${region})`;
      const http = { method: 'POST' as const, headers, timeoutMs: o.timeoutMs };
      return sendRequest(
        url.toString(),
        c.body,
        { service: where, http, read: awsReply(where, o, settings.source) },
        signal,
      );
    },
  };
}
