/**
 * Coordination among replicas over the in-memory lease store, on a stepped clock: shares follow
 * the live membership, a dead member's rules are taken over after one lease period under a new
 * epoch, a paused member stops holding before anyone can take over, different versions of a rule
 * do not fight, and leaving hands the rules over at the next round.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { type Coordinator, createCoordinator } from '../../../src/cluster/coordinator.ts';
import { rendezvousOwner } from '../../../src/cluster/rendezvous.ts';
import { createMemoryLeaseStore, type MemoryLeaseStore } from '../../../src/state/memory-lease-store.ts';

const LEASE = 15_000;
const RENEW = 5_000;
const silent = pino({ level: 'silent' });
const names = Array.from({ length: 60 }, (_, i) => `rule-${i}`);

function cluster() {
  let t = 1_000_000;
  const store = createMemoryLeaseStore();
  const events: { member: string; kind: 'acquired' | 'handover' | 'lost'; rules: string[] }[] = [];
  const join = (
    id: string,
    rules: { name: string; hash: string }[] = names.map((n) => ({ name: n, hash: 'h1' })),
  ) => {
    const c = createCoordinator({
      store,
      memberId: id,
      leaseMs: LEASE,
      renewMs: RENEW,
      monotonic: () => t,
      now: () => 1_700_000_000_000 + t,
      logger: silent,
      onAcquired: (r, handover) =>
        events.push({ member: id, kind: handover ? 'handover' : 'acquired', rules: r }),
      onLost: (r) => events.push({ member: id, kind: 'lost', rules: r }),
    });
    c.setRules(rules);
    return c;
  };
  return {
    store,
    events,
    join,
    advance: (ms: number) => (t += ms),
    /** One round of every given member, `times` times, RENEW apart. */
    async rounds(members: Coordinator[], times = 1) {
      for (let i = 0; i < times; i++) {
        for (const m of members) await m.tick();
        t += RENEW;
      }
    },
  };
}

const heldBy = (members: Coordinator[]) =>
  Object.fromEntries(members.map((m) => [m.memberId, names.filter((n) => m.holds(n))]));

function expectPartition(members: Coordinator[]) {
  const all = members.flatMap((m) => names.filter((n) => m.holds(n)));
  expect(all.slice().sort()).toEqual(names.slice().sort());
  expect(new Set(all).size).toBe(all.length);
}

describe('replica coordination', () => {
  it('one member runs every rule; a second one takes its share and only that moves', async () => {
    const c = cluster();
    const a = c.join('a');
    await c.rounds([a]);
    expect(heldBy([a]).a).toHaveLength(names.length);
    const b = c.join('b');
    await c.rounds([a, b], 3);
    expectPartition([a, b]);
    const shares = heldBy([a, b]);
    expect(shares.a!.length).toBeGreaterThan(10);
    expect(shares.b!.length).toBeGreaterThan(10);
    // a third member takes rules from both, and nothing moves between a and b
    const x = c.join('x');
    await c.rounds([a, b, x], 3);
    expectPartition([a, b, x]);
    const after = heldBy([a, b, x]);
    expect(after.a!.every((n) => shares.a!.includes(n))).toBe(true);
    expect(after.b!.every((n) => shares.b!.includes(n))).toBe(true);
  });

  it('a member that stops renewing loses its rules after one lease period, under a new epoch', async () => {
    const c = cluster();
    const [a, b] = [c.join('a'), c.join('b')];
    await c.rounds([a, b], 3);
    const ofB = heldBy([b]).b!;
    const epochs = new Map(ofB.map((n) => [n, b.held(n)!.epoch]));
    // b is killed: a goes on alone
    await c.rounds([a], 1);
    expect(ofB.some((n) => a.holds(n))).toBe(false);
    await c.rounds([a], 4);
    expect(heldBy([a]).a).toHaveLength(names.length);
    for (const n of ofB) expect(a.held(n)!.epoch).toBe(epochs.get(n)! + 1);
    expect(a.ownership(ofB[0]!).handovers).toBe(1);
    expect(
      c.events
        .filter((e) => e.member === 'a' && e.kind === 'handover')
        .flatMap((e) => e.rules)
        .sort(),
    ).toEqual(ofB.slice().sort());
  });

  it('a paused member stops holding before anyone takes over, and gives the rules up when it wakes', async () => {
    const c = cluster();
    const [a, b] = [c.join('a'), c.join('b')];
    await c.rounds([a, b], 3);
    const ofB = heldBy([b]).b!;
    // b is paused (SIGSTOP): its clock goes on, it renews nothing
    c.advance(LEASE - 2 * RENEW);
    expect(ofB.some((n) => b.holds(n))).toBe(false);
    expect(ofB.some((n) => a.holds(n))).toBe(false);
    await c.rounds([a], 4);
    expect(heldBy([a]).a).toHaveLength(names.length);
    // b wakes (SIGCONT): it renews, learns the leases are a's, and never holds them again
    await b.tick();
    expect(ofB.some((n) => b.holds(n))).toBe(false);
    expect(await b.confirm(ofB[0]!, 1)).toBe(false);
    await c.rounds([a, b], 3);
    expectPartition([a, b]);
  });

  it('members with another version of a rule do not fight over it: one runs it until it leaves', async () => {
    const c = cluster();
    const mixed = names.map((n) => ({ name: n, hash: n === 'rule-7' ? 'h2' : 'h1' }));
    const [a, b] = [c.join('a'), c.join('b', mixed)];
    await c.rounds([a, b], 3);
    const first = a.holds('rule-7') ? a : b;
    const other = first === a ? b : a;
    for (let i = 0; i < 5; i++) {
      await c.rounds([a, b]);
      expect(first.holds('rule-7')).toBe(true);
      expect(other.holds('rule-7')).toBe(false);
    }
    expectPartition([a, b]);
    await first.leave();
    await c.rounds([other]);
    expect(other.holds('rule-7')).toBe(true);
    expect(c.store.leases.get('rule-7')!.doc.rule_hash).toBe(first === a ? 'h2' : 'h1');
  });

  it('leaving hands every rule over at the next round of the others', async () => {
    const c = cluster();
    const [a, b] = [c.join('a'), c.join('b')];
    await c.rounds([a, b], 3);
    await b.leave();
    expect(c.store.members.has('b')).toBe(false);
    await a.tick();
    expect(heldBy([a]).a).toHaveLength(names.length);
  });

  it('a lease store that cannot be reached: nobody holds anything, and the same member resumes after', async () => {
    const c = cluster();
    const [a, b] = [c.join('a'), c.join('b')];
    await c.rounds([a, b], 3);
    const before = heldBy([a, b]);
    (c.store as MemoryLeaseStore).down = true;
    await c.rounds([a, b], 6); // 30 s
    expect(names.some((n) => a.holds(n) || b.holds(n))).toBe(false);
    (c.store as MemoryLeaseStore).down = false;
    await c.rounds([a, b], 3);
    expect(heldBy([a, b])).toEqual(before);
  });
});

describe('confirming leases', () => {
  it('the confirmations of runs that alert together share one lease read', async () => {
    const c = cluster();
    const a = c.join('a');
    await c.rounds([a]);
    const reads: string[][] = [];
    const getLeases = c.store.getLeases.bind(c.store);
    c.store.getLeases = async (rules, signal) => {
      reads.push([...rules]);
      return getLeases(rules, signal);
    };
    const ok = await Promise.all(names.slice(0, 20).map((n) => a.confirm(n, a.held(n)!.epoch)));
    expect(ok.every(Boolean)).toBe(true);
    expect(reads).toHaveLength(1);
    expect(reads[0]).toHaveLength(20);
    // a lease another instance took is not confirmed, and is lost here
    const taken = c.store.leases.get('rule-0')!;
    taken.doc = { ...taken.doc, owner: 'b', epoch: taken.doc.epoch + 1 };
    expect(await a.confirm('rule-0', a.held('rule-0')!.epoch)).toBe(false);
    expect(a.holds('rule-0')).toBe(false);
  });

  it("a run's confirmation under an old epoch does not drop the lease claimed again meanwhile", async () => {
    const c = cluster();
    const a = c.join('a');
    await c.rounds([a]);
    const epoch = a.held('rule-1')!.epoch;
    const pending = a.confirm('rule-1', epoch); // its read waits to be shared
    // meanwhile the instance missed its renewals, the lease was given back under a new epoch,
    // and the next round claimed it again
    c.advance(LEASE);
    const doc = c.store.leases.get('rule-1')!;
    doc.doc = { ...doc.doc, owner: '', epoch: epoch + 1 };
    await a.tick();
    const again = a.held('rule-1')!.epoch;
    expect(again).toBe(epoch + 2);
    expect(await pending).toBe(false);
    expect(a.held('rule-1')?.epoch).toBe(again);
    expect(a.ownership('rule-1')).toMatchObject({ owner: 'a', ownedHere: true });
  });
});

describe('replica coordination with thousands of rules', () => {
  it('claims in batches within half a renew interval, the rest at the next rounds, and stays a member', async () => {
    let t = 1_000_000;
    const store = createMemoryLeaseStore();
    const writes: number[] = [];
    // every lease write takes 1.5 s of (stepped) time: a slow, loaded server
    const slow: MemoryLeaseStore = Object.assign(Object.create(store) as MemoryLeaseStore, {
      async writeLeases(w: Parameters<MemoryLeaseStore['writeLeases']>[0]) {
        writes.push(w.length);
        t += 1500;
        return store.writeLeases(w);
      },
    });
    const many = Array.from({ length: 2200 }, (_, i) => ({ name: `r${i}`, hash: 'h' }));
    const acquired: string[] = [];
    const a = createCoordinator({
      store: slow,
      memberId: 'a',
      leaseMs: LEASE,
      renewMs: RENEW,
      monotonic: () => t,
      now: () => 1_700_000_000_000 + t,
      logger: silent,
      onAcquired: (r) => acquired.push(...r),
    });
    a.setRules(many);
    await a.tick();
    // two batches of 500 fit in 2.5 s (the second starts at 1.5 s); the third waits
    expect(writes).toEqual([500, 500]);
    expect(a.deferredClaims()).toBe(1200);
    expect(many.filter((r) => a.holds(r.name))).toHaveLength(1000);
    for (let i = 0; i < 2; i++) {
      t += RENEW;
      await a.tick();
      expect(a.isMember()).toBe(true);
    }
    expect(a.deferredClaims()).toBe(0);
    expect(many.every((r) => a.holds(r.name))).toBe(true);
    expect(new Set(acquired).size).toBe(2200);
    expect(acquired).toHaveLength(2200);
  });
});

describe('rendezvous hashing', () => {
  it('moves only the keys the joining candidate wins', () => {
    const keys = Array.from({ length: 2000 }, (_, i) => `rule-${i}@abc`);
    const three = ['m1', 'm2', 'm3'];
    const before = new Map(keys.map((k) => [k, rendezvousOwner(k, three)]));
    const after = new Map(keys.map((k) => [k, rendezvousOwner(k, [...three, 'm4'])]));
    const moved = keys.filter((k) => before.get(k) !== after.get(k));
    expect(moved.every((k) => after.get(k) === 'm4')).toBe(true);
    expect(moved.length).toBeGreaterThan(350);
    expect(moved.length).toBeLessThan(650);
  });
});
