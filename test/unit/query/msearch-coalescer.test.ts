/**
 * The coalescer's queueing over a recording client: which searches share a request, what each
 * caller gets back, and how failures and aborts stay with their own caller.
 */
import { describe, expect, it } from 'vitest';
import type { EsClient } from '../../../src/query/es-api.ts';
import { RequestAbortedError, ResponseError } from '../../../src/query/es-transport.ts';
import { createMsearchCoalescer } from '../../../src/query/msearch-coalescer.ts';

type Call =
  | { api: 'msearch'; lines: Record<string, unknown>[] }
  | { api: 'search' | 'count'; params: Record<string, unknown> };

/** A client whose answers the test controls: each call waits for `release()`, or answers at once. */
function recordingClient(
  answer: (call: Call) => unknown = (call) =>
    call.api === 'msearch'
      ? {
          responses: Array.from({ length: call.lines.length / 2 }, (_, i) => ({
            hits: { total: { value: i, relation: 'eq' }, hits: [{ _id: String(call.lines[2 * i]!.index) }] },
            status: 200,
          })),
        }
      : call.api === 'count'
        ? { count: 42 }
        : { hits: { hits: [{ _id: String(call.params.index) }] } },
) {
  const calls: Call[] = [];
  const gates: (() => void)[] = [];
  let held = false;
  const respond = async (call: Call) => {
    calls.push(call);
    if (held) await new Promise<void>((r) => gates.push(r));
    const a = answer(call);
    if (a instanceof Error) throw a;
    return a;
  };
  const client = {
    msearch: (p: { searches: Record<string, unknown>[] }) => respond({ api: 'msearch', lines: p.searches }),
    search: (params: Record<string, unknown>) => respond({ api: 'search', params }),
    count: (params: Record<string, unknown>) => respond({ api: 'count', params }),
  } as unknown as EsClient;
  return {
    client,
    calls,
    hold: () => (held = true),
    releaseAll: () => {
      held = false;
      for (const g of gates.splice(0)) g();
    },
  };
}

const search = (index: string, size = 0) => ({ header: { index }, body: { query: { match_all: {} }, size } });
const tick = () => new Promise<void>((r) => setImmediate(r));

describe('the msearch coalescer', () => {
  it('searches queued in one turn go in one _msearch; each caller gets its own answer', async () => {
    const rec = recordingClient();
    const c = createMsearchCoalescer(rec.client);
    const results = await Promise.all(['a', 'b', 'c'].map((i) => c.search(search(i))));
    expect(rec.calls).toHaveLength(1);
    expect(rec.calls[0]).toMatchObject({ api: 'msearch' });
    expect(results.map((r) => r.hits.hits[0]!._id)).toEqual(['a', 'b', 'c']);
  });

  it('a search alone goes as a plain _search, a count alone as _count', async () => {
    const rec = recordingClient();
    const c = createMsearchCoalescer(rec.client);
    const one = await c.search({ header: { index: 'x', ignore_unavailable: true }, body: { size: 3 } });
    expect(one.hits.hits[0]!._id).toBe('x');
    expect(rec.calls[0]).toEqual({
      api: 'search',
      params: { index: 'x', ignore_unavailable: true, size: 3 },
    });
    const counted = await c.search({
      header: { index: 'y' },
      body: { query: { term: { a: 1 } } },
      count: true,
    });
    expect(counted.hits.total).toBe(42);
    expect(rec.calls[1]).toEqual({ api: 'count', params: { index: 'y', query: { term: { a: 1 } } } });
  });

  it('a count in company is a search of no hits that tracks the total', async () => {
    const rec = recordingClient();
    const c = createMsearchCoalescer(rec.client);
    await Promise.all([c.search(search('a')), c.search({ ...search('b'), count: true })]);
    const call = rec.calls[0] as { lines: Record<string, unknown>[] };
    expect(call.lines[3]).toEqual({ query: { match_all: {} }, size: 0, track_total_hits: true });
  });

  it('a refused sub-search fails its own caller only', async () => {
    const rec = recordingClient((call) => ({
      responses: [
        { hits: { hits: [] }, status: 200 },
        { error: { type: 'parse_exception', reason: 'bad' }, status: 400 },
        { hits: { hits: [] }, status: 200 },
      ].slice(0, (call as { lines: unknown[] }).lines.length / 2),
    }));
    const c = createMsearchCoalescer(rec.client);
    const out = await Promise.allSettled(['a', 'b', 'c'].map((i) => c.search(search(i))));
    expect(out.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const err = (out[1] as PromiseRejectedResult).reason as ResponseError;
    expect(err).toBeInstanceOf(ResponseError);
    expect(err.statusCode).toBe(400);
  });

  it('a failed request fails every search it carried', async () => {
    const boom = new ResponseError(503, { error: 'unavailable' }, 'msearch');
    const rec = recordingClient(() => boom);
    const c = createMsearchCoalescer(rec.client);
    const out = await Promise.allSettled(['a', 'b'].map((i) => c.search(search(i))));
    expect(out.map((o) => (o as PromiseRejectedResult).reason)).toEqual([boom, boom]);
  });

  it('while every slot is taken, searches gather for the next request (group commit)', async () => {
    const rec = recordingClient();
    const c = createMsearchCoalescer(rec.client, { maxInFlight: 1 });
    rec.hold();
    const first = c.search(search('first'));
    await tick();
    const later = ['b', 'c', 'd'].map((i) => c.search(search(i)));
    await tick();
    expect(rec.calls).toHaveLength(1);
    rec.releaseAll();
    await Promise.all([first, ...later]);
    expect(rec.calls.map((call) => call.api)).toEqual(['search', 'msearch']);
    expect((rec.calls[1] as { lines: unknown[] }).lines).toHaveLength(6);
  });

  it('splits a tick into requests under the caps, sent side by side up to maxInFlight', async () => {
    const rec = recordingClient();
    const c = createMsearchCoalescer(rec.client, { caps: { maxSearches: 2, maxHits: 150 }, maxInFlight: 2 });
    rec.hold();
    const all = [search('a', 100), search('b', 10), search('c', 100), search('d'), search('e')].map((s) =>
      c.search(s),
    );
    await tick();
    // a+b (hits 110), then c+d would leave nothing for e: two requests under way, the third waits
    expect(rec.calls).toHaveLength(2);
    rec.releaseAll();
    await tick();
    rec.releaseAll();
    await Promise.all(all);
    expect(rec.calls.map((call) => (call.api === 'msearch' ? call.lines.length / 2 : 1))).toEqual([2, 2, 1]);
  });

  it('requests under way ask for at most maxHitsInFlight hits together; one alone always goes', async () => {
    const rec = recordingClient();
    const c = createMsearchCoalescer(rec.client, {
      caps: { maxSearches: 1 },
      maxInFlight: 5,
      maxHitsInFlight: 250,
    });
    rec.hold();
    const all = [search('a', 100), search('b', 100), search('c', 100), search('d', 400)].map((s) =>
      c.search(s),
    );
    await tick();
    // a and b (200 hits) go; c would make 300
    expect(rec.calls).toHaveLength(2);
    rec.releaseAll();
    await tick();
    await tick();
    // c goes once a and b answered; d (400 on its own) waits until nothing else is under way
    expect(rec.calls).toHaveLength(3);
    rec.releaseAll();
    await tick();
    await tick();
    expect(rec.calls).toHaveLength(4);
    rec.releaseAll();
    await Promise.all(all);
  });

  it('an aborted search is rejected at once and, when still queued, never sent', async () => {
    const rec = recordingClient();
    const c = createMsearchCoalescer(rec.client, { maxInFlight: 1 });
    rec.hold();
    const first = c.search(search('first'));
    await tick();
    const controller = new AbortController();
    const gone = c.search(search('gone'), controller.signal);
    const kept = c.search(search('kept'));
    controller.abort();
    await expect(gone).rejects.toBeInstanceOf(RequestAbortedError);
    rec.releaseAll();
    await Promise.all([first, kept]);
    expect(rec.calls.map((call) => (call.api === 'search' ? call.params.index : 'msearch'))).toEqual([
      'first',
      'kept',
    ]);
  });

  it('a request that is not batched takes a slot, and searches wait for it', async () => {
    const rec = recordingClient();
    const c = createMsearchCoalescer(rec.client, { maxInFlight: 1 });
    let done!: () => void;
    const solo = c.solo(() => new Promise<string>((r) => (done = () => r('paged'))));
    const waiting = c.search(search('a'));
    await tick();
    expect(rec.calls).toHaveLength(0);
    done();
    expect(await solo).toBe('paged');
    await waiting;
    expect(rec.calls).toHaveLength(1);
  });
});
