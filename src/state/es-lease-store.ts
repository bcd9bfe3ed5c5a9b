/** The lease store in Elasticsearch or OpenSearch (typeless `_doc` APIs: 7.x, 8.x, 9.x, OpenSearch). */
import { EsalertError } from '../errors/esalert-error.ts';
import type { Doc } from '../model/lookup.ts';
import { type EsClient, errors as esErrors, toEsError } from '../query/es-client.ts';
import {
  type LeaseDoc,
  type LeaseStore,
  type MemberDoc,
  type Version,
  type Versioned,
  leaseIndex,
} from './lease-store.ts';

const date = { type: 'date', format: 'date_optional_time' };

export const LEASE_MAPPINGS: Record<'members' | 'leases', Doc> = {
  members: {
    dynamic: false,
    properties: {
      member: { type: 'keyword' },
      started: date,
      heartbeat: date,
      rule_set: { type: 'keyword' },
      rule_count: { type: 'integer' },
      rules: { type: 'object', enabled: false },
    },
  },
  leases: {
    dynamic: false,
    properties: {
      rule: { type: 'keyword' },
      owner: { type: 'keyword' },
      epoch: { type: 'long' },
      rule_hash: { type: 'keyword' },
      since: date,
    },
  },
};

const status = (err: unknown) => (err instanceof esErrors.ResponseError ? err.meta.statusCode : undefined);

function versionOf(r: { _seq_no?: number; _primary_term?: number }): Version {
  if (r._seq_no === undefined || r._primary_term === undefined)
    throw new EsalertError('WRITEBACK_FAILED', 'the lease store got no _seq_no/_primary_term back');
  return { seqNo: r._seq_no, primaryTerm: r._primary_term };
}

/** Leases per `_mget` or `_bulk` request: thousands of rules go in several. */
const PER_REQUEST = 1000;

const condition = (v: Version) => ({ if_seq_no: v.seqNo, if_primary_term: v.primaryTerm });

export function createEsLeaseStore(client: EsClient, writebackIndex: string): LeaseStore {
  const members = leaseIndex(writebackIndex, 'members');
  const leases = leaseIndex(writebackIndex, 'leases');
  const wrap = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw new EsalertError('WRITEBACK_FAILED', toEsError(err, `lease store: ${what}`).message, {
        cause: err,
        retryable: true,
      });
    }
  };
  const conflictOr = async (fn: () => Promise<Version>): Promise<Version | 'conflict'> => {
    try {
      return await fn();
    } catch (err) {
      if (status(err) === 409 || status(err) === 404) return 'conflict';
      throw err;
    }
  };
  const search = async <T>(index: string, body: Doc, signal?: AbortSignal): Promise<Versioned<T>[]> => {
    try {
      const res = await client.search<T>(
        { index, size: 10_000, seq_no_primary_term: true, ignore_unavailable: true, ...body },
        { signal },
      );
      return res.hits.hits.map((h) => ({ id: h._id, doc: h._source!, version: versionOf(h) }));
    } catch (err) {
      if (status(err) === 404) return [];
      throw err;
    }
  };

  return {
    async ensureIndices(signal) {
      for (const [kind, index] of [
        ['members', members],
        ['leases', leases],
      ] as const) {
        await wrap(`creating ${index}`, async () => {
          if (await client.indices.exists({ index }, { signal })) return;
          try {
            await client.indices.create({ index, mappings: LEASE_MAPPINGS[kind] as never }, { signal });
          } catch (err) {
            if (!JSON.stringify((err as { body?: unknown }).body ?? '').includes('resource_already_exists'))
              throw err;
          }
        });
      }
    },

    putMember(doc: MemberDoc, rules, expect, signal) {
      return wrap('writing the member document', () =>
        conflictOr(async () =>
          versionOf(
            await client.index(
              {
                index: members,
                id: doc.member,
                document: { ...doc, rules },
                ...(expect === 'absent' ? { op_type: 'create' } : expect === 'any' ? {} : condition(expect)),
              },
              { signal },
            ),
          ),
        ),
      );
    },

    renewMember(id, heartbeat, expect, signal) {
      return wrap('renewing the member document', () =>
        conflictOr(async () =>
          versionOf(
            await client.update({ index: members, id, doc: { heartbeat }, ...condition(expect) }, { signal }),
          ),
        ),
      );
    },

    listMembers(signal) {
      return wrap('listing members', () =>
        search<MemberDoc>(members, { _source_excludes: 'rules', query: { match_all: {} } }, signal),
      );
    },

    async memberRules(ids, signal) {
      if (ids.length === 0) return new Map();
      return wrap('reading members rules', async () => {
        const res = await client.mget<{ rules?: string[] }>({ index: members, ids: [...ids] }, { signal });
        return new Map(res.docs.filter((d) => d.found).map((d) => [d._id, d._source?.rules ?? []]));
      });
    },

    async deleteMember(id, expect, signal) {
      await wrap('deleting the member document', async () => {
        try {
          await client.delete(
            { index: members, id, refresh: true, ...(expect === 'any' ? {} : condition(expect)) },
            { signal },
          );
        } catch (err) {
          if (status(err) !== 404 && status(err) !== 409) throw err;
        }
      });
    },

    async getLeases(rules, signal) {
      const out = new Map<string, Versioned<LeaseDoc>>();
      for (let i = 0; i < rules.length; i += PER_REQUEST) {
        const ids = rules.slice(i, i + PER_REQUEST);
        const docs = await wrap('reading leases', async () => {
          try {
            return (await client.mget<LeaseDoc>({ index: leases, ids }, { signal })).docs;
          } catch (err) {
            if (status(err) === 404) return [];
            throw err;
          }
        });
        for (const d of docs)
          if (d.found && d._source) out.set(d._id, { id: d._id, doc: d._source, version: versionOf(d) });
      }
      return out;
    },

    listLeases(signal) {
      return wrap('listing leases', () => search<LeaseDoc>(leases, { query: { match_all: {} } }, signal));
    },

    async writeLeases(writes, signal) {
      const out = new Map<string, Version | 'conflict'>();
      for (let i = 0; i < writes.length; i += PER_REQUEST) {
        const batch = writes.slice(i, i + PER_REQUEST);
        const operations = batch.flatMap((w) => [
          w.expect === 'absent'
            ? { create: { _index: leases, _id: w.id } }
            : { index: { _index: leases, _id: w.id, ...condition(w.expect) } },
          w.doc,
        ]);
        const res = await wrap('writing leases', () => client.bulk({ operations }, { signal }));
        res.items.forEach((item, j) => {
          const r = Object.values(item)[0]!;
          // a write that failed otherwise (429, 5xx) is a conflict too: read again next time
          out.set(batch[j]!.id, r.status >= 200 && r.status < 300 ? versionOf(r) : 'conflict');
        });
      }
      return out;
    },
  };
}
