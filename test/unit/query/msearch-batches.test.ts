import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MSEARCH_CAPS,
  itemBytes,
  itemHits,
  itemOutcome,
  msearchLines,
  planBatches,
} from '../../../src/query/msearch-batches.ts';
import { ResponseError } from '../../../src/query/es-transport.ts';

const caps = { maxSearches: 3, maxBytes: 1000, maxHits: 100 };
const item = (bytes = 10, hits = 0) => ({ bytes, hits });

describe('planBatches', () => {
  it('keeps order and fills requests up to the number of searches', () => {
    expect(
      planBatches(
        Array.from({ length: 7 }, () => item()),
        caps,
      ),
    ).toEqual([3, 3, 1]);
  });

  it('starts a new request where the bytes would pass the cap', () => {
    expect(planBatches([item(400), item(400), item(400), item(100)], caps)).toEqual([2, 2]);
  });

  it('starts a new request where the requested hits would pass the cap', () => {
    expect(planBatches([item(10, 60), item(10, 40), item(10, 1), item(10, 0)], caps)).toEqual([2, 2]);
  });

  it('sends a search over a cap by itself, never drops it', () => {
    expect(planBatches([item(10), item(5000), item(10, 500), item(10)], caps)).toEqual([1, 1, 1, 1]);
  });

  it('plans nothing for nothing', () => {
    expect(planBatches([], caps)).toEqual([]);
  });

  it('default caps: a hundred searches, 1 MiB, two full first pages', () => {
    expect(DEFAULT_MSEARCH_CAPS).toEqual({ maxSearches: 100, maxBytes: 1024 * 1024, maxHits: 20_000 });
    expect(
      planBatches(
        Array.from({ length: 250 }, () => item(100, 0)),
        DEFAULT_MSEARCH_CAPS,
      ),
    ).toEqual([100, 100, 50]);
    expect(
      planBatches(
        Array.from({ length: 5 }, () => item(100, 10_000)),
        DEFAULT_MSEARCH_CAPS,
      ),
    ).toEqual([2, 2, 1]);
  });
});

describe('msearch items', () => {
  const it1 = {
    header: { index: 'logs-*', ignore_unavailable: true },
    body: { query: { match_all: {} }, size: 5 },
  };

  it('lines alternate header and body', () => {
    expect(msearchLines([it1, { header: { index: 'b' }, body: { size: 0 } }])).toEqual([
      it1.header,
      it1.body,
      { index: 'b' },
      { size: 0 },
    ]);
  });

  it('bytes are those of the two NDJSON lines; hits what the body asks for (10 without size)', () => {
    const expected = JSON.stringify(it1.header).length + JSON.stringify(it1.body).length + 2;
    expect(itemBytes(it1)).toBe(expected);
    expect(itemBytes({ header: { index: 'é' }, body: {} })).toBe(
      JSON.stringify({ index: 'é' }).length + 1 + 2 + 2,
    );
    expect(itemHits(it1)).toBe(5);
    expect(itemHits({ header: {}, body: {} })).toBe(10);
  });
});

describe('itemOutcome', () => {
  it('a sub-search that answered is its result', () => {
    const answer = { hits: { total: { value: 2, relation: 'eq' }, hits: [] }, status: 200 };
    expect(itemOutcome(answer, 0)).toEqual({ ok: true, result: answer });
  });

  it('a sub-search the server refused is the HTTP error its own _search would have been', () => {
    const error = { type: 'search_phase_execution_exception', reason: 'all shards failed' };
    const out = itemOutcome({ hits: { hits: [] }, error, status: 400 }, 3);
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.error).toBeInstanceOf(ResponseError);
    expect(out.error.statusCode).toBe(400);
    expect(out.error.body).toEqual({ error, status: 400 });
  });

  it('an error without a status is a server error (retryable), a missing answer too', () => {
    const noStatus = itemOutcome({ hits: { hits: [] }, error: 'boom' }, 0);
    expect(!noStatus.ok && noStatus.error.statusCode).toBe(500);
    const missing = itemOutcome(undefined, 4);
    expect(!missing.ok && missing.error.statusCode).toBe(502);
    expect(!missing.ok && JSON.stringify(missing.error.body)).toMatch(/no answer 4/);
  });
});
