/**
 * Writes to the writeback indices gathered into `_bulk` requests (group commit): a write waits
 * for the request that carries it, so a caller that awaits `write` knows its document is stored,
 * exactly as with a single-document request. While one request is under way, the writes that
 * arrive meanwhile queue up and leave together in the next one; with nothing under way a write
 * leaves after `lingerMs` (default: once the current turn of the event loop is done), so the
 * writes of the rules finishing together share one request. One request at a time.
 *
 * Each write gets its own item's outcome: one document's failure (a 409 for `create`, a mapping
 * error) is its caller's alone. When the whole request fails, every write it carried fails.
 */
import { EsalertError } from '../errors/esalert-error.ts';
import type { EsClient } from '../query/es-client.ts';
import type { Doc } from '../model/lookup.ts';

export type BulkAction = 'index' | 'create' | 'update';

export interface BulkWrite {
  action: BulkAction;
  index: string;
  id?: string;
  /** The document (index, create) or the partial document (update). */
  doc: unknown;
}

/** One write's result: the item's HTTP status, and the server's reason when it failed. */
export interface BulkItemResult {
  status: number;
  error?: unknown;
}

export interface BulkWriter {
  write(op: BulkWrite, signal?: AbortSignal): Promise<BulkItemResult>;
  /** Resolves once every write queued so far has been answered. */
  settled(): Promise<void>;
}

export interface BulkWriterOptions {
  refresh?: boolean | 'wait_for';
  /** How long the first queued write waits for company (ms); 0: the end of the current turn. */
  lingerMs?: number;
  /** Writes per request at most. */
  maxWrites?: number;
  onRequest?: () => void;
}

interface Queued {
  op: BulkWrite;
  resolve: (r: BulkItemResult) => void;
  reject: (err: unknown) => void;
  signal: AbortSignal | undefined;
}

const DEFAULT_MAX_WRITES = 500;

export function createBulkWriter(client: EsClient, options: BulkWriterOptions = {}): BulkWriter {
  const maxWrites = options.maxWrites ?? DEFAULT_MAX_WRITES;
  const lingerMs = options.lingerMs ?? 0;
  let queue: Queued[] = [];
  let sending: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | ReturnType<typeof setImmediate> | undefined;

  function schedule(): void {
    if (sending || timer !== undefined || queue.length === 0) return;
    const go = () => {
      timer = undefined;
      sending = sendAll().finally(() => {
        sending = undefined;
        schedule();
      });
    };
    timer = lingerMs > 0 ? setTimeout(go, lingerMs) : setImmediate(go);
  }

  async function sendAll(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxWrites);
      queue = queue.slice(batch.length);
      const live = batch.filter((q) => {
        if (!q.signal?.aborted) return true;
        q.reject(q.signal.reason ?? new EsalertError('ABORTED', 'write aborted'));
        return false;
      });
      if (live.length > 0) await sendBatch(live);
    }
  }

  async function sendBatch(batch: Queued[]): Promise<void> {
    const operations: unknown[] = [];
    for (const { op } of batch) {
      operations.push({ [op.action]: { _index: op.index, ...(op.id !== undefined ? { _id: op.id } : {}) } });
      operations.push(op.action === 'update' ? { doc: op.doc } : op.doc);
    }
    options.onRequest?.();
    let items: Record<string, BulkItemResult>[];
    try {
      items = (
        await client.bulk({
          operations,
          ...(options.refresh !== undefined && options.refresh !== false ? { refresh: options.refresh } : {}),
        })
      ).items;
    } catch (err) {
      for (const q of batch) q.reject(err);
      return;
    }
    batch.forEach((q, i) => {
      const item = items[i]?.[q.op.action];
      if (item)
        q.resolve({ status: item.status, ...(item.error !== undefined ? { error: item.error } : {}) });
      else
        q.reject(
          new EsalertError('WRITEBACK_FAILED', `the _bulk response has no item ${i} (${q.op.action})`),
        );
    });
  }

  return {
    write(op, signal) {
      return new Promise<BulkItemResult>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason ?? new EsalertError('ABORTED', 'write aborted'));
        queue.push({ op, resolve, reject, signal });
        if (queue.length >= maxWrites && timer !== undefined && !sending) {
          // a full request need not wait for the linger
          if (lingerMs > 0) clearTimeout(timer as ReturnType<typeof setTimeout>);
          else clearImmediate(timer as ReturnType<typeof setImmediate>);
          timer = undefined;
        }
        schedule();
      });
    },
    async settled() {
      while (sending || queue.length > 0) {
        schedule();
        await (sending ?? new Promise<void>((r) => setImmediate(r)));
      }
    },
  };
}

/** The server's reason for a failed item, in one line (`type: reason`). */
export function bulkItemReason(error: unknown): string {
  if (error && typeof error === 'object') {
    const e = error as Doc;
    const type = typeof e.type === 'string' ? e.type : undefined;
    const reason = typeof e.reason === 'string' ? e.reason : undefined;
    if (type || reason) return [type, reason].filter(Boolean).join(': ');
  }
  return JSON.stringify(error) ?? 'unknown error';
}
