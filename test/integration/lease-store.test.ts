/**
 * The lease store on each server: conditional writes (create when absent, if_seq_no and
 * if_primary_term), real-time reads of leases, member documents listed without their rule lists,
 * and two coordinators over it sharing rules.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCoordinator } from '../../src/cluster/coordinator.ts';
import type { EsConnection } from '../../src/query/es-client.ts';
import { createEsLeaseStore } from '../../src/state/es-lease-store.ts';
import type { LeaseDoc, LeaseStore, MemberDoc } from '../../src/state/lease-store.ts';
import { connectTestEs, uniqueName } from './helpers.ts';

describe('the lease store', () => {
  let es: EsConnection;
  let wb: string;
  let store: LeaseStore;
  beforeAll(async () => {
    es = await connectTestEs();
    wb = uniqueName('esalert_leases');
    store = createEsLeaseStore(es.client, wb);
    await store.ensureIndices();
    await store.ensureIndices(); // twice: already there
  });
  afterAll(async () => {
    await es.client.indices.delete({ index: `${wb}*` }).catch(() => {});
    await es.close();
  });

  const lease = (owner: string, epoch: number): LeaseDoc => ({
    rule: 'r/1 é',
    owner,
    epoch,
    rule_hash: 'abc',
    since: new Date().toISOString(),
  });

  it('claims with conditional writes: a stale version or a second create is a conflict', async () => {
    const first = await store.writeLeases([{ id: 'r/1 é', expect: 'absent', doc: lease('a', 1) }]);
    const v1 = first.get('r/1 é');
    expect(v1).not.toBe('conflict');
    const again = await store.writeLeases([{ id: 'r/1 é', expect: 'absent', doc: lease('b', 1) }]);
    expect(again.get('r/1 é')).toBe('conflict');
    const read = (await store.getLeases(['r/1 é', 'absent-rule'])).get('r/1 é')!;
    expect(read.doc.owner).toBe('a');
    expect(read.version).toEqual(v1);
    const b = await store.writeLeases([{ id: 'r/1 é', expect: read.version, doc: lease('b', 2) }]);
    expect(b.get('r/1 é')).not.toBe('conflict');
    // a writes over the version it read before b's claim: refused
    const stale = await store.writeLeases([{ id: 'r/1 é', expect: read.version, doc: lease('a', 2) }]);
    expect(stale.get('r/1 é')).toBe('conflict');
    expect((await store.getLeases(['r/1 é'])).get('r/1 é')!.doc).toMatchObject({ owner: 'b', epoch: 2 });
  });

  it('member documents: renewed over their version, listed without their rule lists', async () => {
    const doc: MemberDoc = {
      member: 'm1',
      started: new Date().toISOString(),
      heartbeat: new Date().toISOString(),
      rule_set: 'set1',
      rule_count: 2,
    };
    const v = await store.putMember(doc, ['x@1', 'y@2'], 'absent');
    expect(v).not.toBe('conflict');
    expect(await store.putMember(doc, [], 'absent')).toBe('conflict');
    const renewed = await store.renewMember('m1', new Date().toISOString(), v as never);
    expect(renewed).not.toBe('conflict');
    expect(await store.renewMember('m1', new Date().toISOString(), v as never)).toBe('conflict');
    await es.client.indices.refresh({ index: `${wb}_esalert_members` });
    const listed = await store.listMembers();
    expect(listed.map((m) => m.doc)).toEqual([doc].map((d) => ({ ...d, heartbeat: expect.any(String) })));
    expect(Object.keys(listed[0]!.doc)).not.toContain('rules');
    expect((await store.memberRules(['m1'])).get('m1')).toEqual(['x@1', 'y@2']);
    await store.deleteMember('m1', 'any');
    expect((await store.memberRules(['m1'])).size).toBe(0);
  });

  it('two coordinators share the rules, and one leaving hands its share over', async () => {
    const own = uniqueName('esalert_share');
    const s = createEsLeaseStore(es.client, own);
    await s.ensureIndices();
    const names = Array.from({ length: 20 }, (_, i) => ({ name: `rule-${i}`, hash: 'h' }));
    const make = (id: string) => {
      const c = createCoordinator({
        store: s,
        memberId: id,
        leaseMs: 60_000,
        renewMs: 20_000,
        monotonic: () => performance.now(),
        now: Date.now,
        logger: pino({ level: 'silent' }),
      });
      c.setRules(names);
      return c;
    };
    const [a, b] = [make('a'), make('b')];
    const settled = async () => {
      for (let i = 0; i < 20; i++) {
        await a.tick();
        await b.tick();
        await es.client.indices.refresh({ index: `${own}_esalert_members` });
        const held = names.filter((n) => a.holds(n.name) || b.holds(n.name));
        const both = names.filter((n) => a.holds(n.name) && b.holds(n.name));
        if (held.length === names.length && names.some((n) => b.holds(n.name)) && both.length === 0) return;
      }
      throw new Error('the coordinators did not settle');
    };
    try {
      await settled();
      expect(names.some((n) => a.holds(n.name))).toBe(true);
      await b.leave();
      await a.tick();
      expect(names.every((n) => a.holds(n.name))).toBe(true);
    } finally {
      await es.client.indices.delete({ index: `${own}*` }).catch(() => {});
    }
  });
});
