/**
 * What the contract suite needs from each alerter's test setup (a Harness), and HTTP receivers
 * that play a vendor's API: they check each request the way the vendor documents it (method,
 * path, auth header, body shape) and answer as the vendor does, including its failure replies.
 */
import type { Doc } from '../../../../src/model/lookup.ts';
import {
  header,
  type Received,
  type Receiver,
  type Reply,
  type Request,
  startVendorReceiver,
} from '../../../integration/support/http-receiver.ts';

export const TIMEOUT_S = 0.2;
export const SLOW_MS = 1000;

/** How to drive one alerter against its receiver. */
export interface Harness {
  /** Options (besides the contract rule) that point the alerter at the receiver, with secrets in them. */
  options: Doc;
  /** Options that make it give up after TIMEOUT_S. */
  timeout: Doc;
  /** Values that secrets() must list. */
  secrets: string[];
  transient(): void;
  /** A permanent failure whose reply echoes a secret back. */
  permanent(): void;
  slow(): void;
  /** What arrived, without the parts that change per run. */
  received(): unknown[];
  ruleDir?: string;
  close(): Promise<void>;
}

export type HarnessFactory = () => Promise<Harness>;

/** A vendor's API as a receiver plays it. */
export interface VendorApi {
  /** The vendor's answer to a good request (for each request, when it depends on it). */
  ok: Reply | ((request: Request) => Reply);
  /** What is wrong with a request, as the vendor would see it; undefined when it is fine. */
  check?: (request: Request) => string | undefined;
  /** A failure worth retrying (rate limit, outage). */
  transient: Reply;
  /** A permanent failure that echoes `secret` back. */
  permanent: (secret: string) => Reply;
  /** Request headers kept in the snapshot (lower case). */
  headers?: readonly string[];
  /** What the snapshot keeps of a request; by default method, path, content type, `headers` and the body. */
  project?: (request: Received) => unknown;
}

function defaultProjection(headers: readonly string[]) {
  return (r: Received) => ({
    method: r.method,
    path: r.path,
    contentType: r.headers['content-type'],
    ...(headers.length ? { headers: Object.fromEntries(headers.map((h) => [h, r.headers[h]])) } : {}),
    body: r.json ?? r.body,
  });
}

/**
 * A receiver that checks every request as `api` says. A request that breaks the vendor's rules is
 * answered 400 with the problem, whatever was scripted, and the problem is kept: received() and
 * close() fail with it.
 */
export async function vendorHarness(
  make: (rx: Receiver) => Pick<Harness, 'options' | 'timeout' | 'secrets' | 'ruleDir'>,
  api: VendorApi,
): Promise<Harness> {
  const rx = await startVendorReceiver({
    ...(api.check ? { check: api.check } : {}),
    ...(typeof api.ok === 'function' ? { respond: api.ok } : { fallback: api.ok }),
  });
  const h = make(rx);
  const failIfBroken = () => {
    if (rx.problems.length) throw new Error(`requests broke the vendor's API:\n${rx.problems.join('\n')}`);
  };
  const project = api.project ?? defaultProjection(api.headers ?? []);
  return {
    ...h,
    transient: () => rx.script(api.transient),
    permanent: () => rx.script(api.permanent(h.secrets[0] ?? '')),
    // the usual answer, late
    slow: () => rx.script({ delayMs: SLOW_MS }),
    received: () => {
      failIfBroken();
      return rx.received.map(project);
    },
    close: async () => {
      await rx.close();
      failIfBroken();
    },
  };
}

/** The harness of alerters that only need a status-checking receiver (post, webhook, robots). */
export function httpHarness(
  make: (rx: Receiver) => Pick<Harness, 'options' | 'timeout' | 'secrets'>,
  failures: { transient: Reply; permanent: (secret: string) => Reply },
): Promise<Harness> {
  return vendorHarness(make, {
    ok: { status: 200, body: { errcode: 0, errmsg: 'ok' } },
    ...failures,
    project: (r) => ({ method: r.method, contentType: r.headers['content-type'], body: r.json ?? r.body }),
  });
}

export const httpFailures = {
  transient: { status: 503, body: 'busy' },
  permanent: (secret: string) => ({ status: 400, body: `bad request for ...${secret}` }),
};

/** Expectations about one request; each returns what is wrong, or undefined. */
export interface RequestRules {
  method?: string;
  /** The path with its query, exactly or matching. */
  path?: string | RegExp;
  /** Header values, exactly or matching (names in lower case). */
  headers?: Record<string, string | RegExp>;
  /** Checks on the parsed JSON body. */
  json?: (body: unknown) => string | undefined;
  /** Checks on the raw body. */
  body?: (body: string) => string | undefined;
}

const matches = (value: string | undefined, want: string | RegExp) =>
  value !== undefined && (typeof want === 'string' ? value === want : want.test(value));

export function checkRequest(rules: RequestRules): (r: Request) => string | undefined {
  return (r) => {
    if (rules.method && r.method !== rules.method) return `method ${r.method}, expected ${rules.method}`;
    if (rules.path && !matches(r.path, rules.path)) return `path ${r.path}, expected ${String(rules.path)}`;
    for (const [name, want] of Object.entries(rules.headers ?? {})) {
      const got = header(r, name);
      if (!matches(got, want)) return `header ${name}: ${got ?? 'missing'}, expected ${String(want)}`;
    }
    if (rules.json) {
      if (r.json === undefined) return `body is not JSON: ${r.body.slice(0, 80)}`;
      const problem = rules.json(r.json);
      if (problem) return problem;
    }
    return rules.body?.(r.body);
  };
}

/** Checks that `body` is an object whose listed keys have the given types ('string', 'array'...). */
export function shape(body: unknown, fields: Record<string, string>, where = 'body'): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return `${where} is not an object`;
  for (const [key, type] of Object.entries(fields)) {
    const v = (body as Doc)[key];
    const actual = Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
    if (!type.split('|').includes(actual)) return `${where}.${key} is ${actual}, expected ${type}`;
  }
  return undefined;
}

/** Checks that `value` is one of `allowed`. */
export function oneOf(value: unknown, allowed: readonly unknown[], what: string): string | undefined {
  return allowed.includes(value)
    ? undefined
    : `${what} is ${JSON.stringify(value)}, expected one of ${allowed.join(', ')}`;
}

/** Checks HTTP Basic auth; the problem, or undefined. */
export function checkBasic(req: Request, user: string, password: string): string | undefined {
  const auth = header(req, 'authorization');
  if (!auth?.startsWith('Basic ')) return 'no Basic Authorization header';
  const [u, ...p] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
  return u === user && p.join(':') === password ? undefined : 'wrong user or password';
}
