/** The lease store in memory, with the same conditional writes: for unit tests of coordination. */
import type { LeaseDoc, LeaseStore, MemberDoc, Version, Versioned } from './lease-store.ts';

interface Slot<T> {
  doc: T;
  version: Version;
}

export interface MemoryLeaseStore extends LeaseStore {
  readonly members: Map<string, Slot<MemberDoc> & { rules: string[] }>;
  readonly leases: Map<string, Slot<LeaseDoc>>;
  /** Makes every call fail (the store is unreachable) while true. */
  down: boolean;
}

export function createMemoryLeaseStore(): MemoryLeaseStore {
  let seq = 0;
  const next = (): Version => ({ seqNo: seq++, primaryTerm: 1 });
  const matches = (slot: Slot<unknown> | undefined, expect: Version | 'absent' | 'any') =>
    expect === 'any' ||
    (expect === 'absent'
      ? slot === undefined
      : slot !== undefined &&
        slot.version.seqNo === expect.seqNo &&
        slot.version.primaryTerm === expect.primaryTerm);
  const store: MemoryLeaseStore = {
    members: new Map(),
    leases: new Map(),
    down: false,
    async ensureIndices() {
      check();
    },
    async putMember(doc, rules, expect) {
      check();
      if (!matches(store.members.get(doc.member), expect)) return 'conflict';
      const version = next();
      store.members.set(doc.member, { doc: { ...doc }, rules: [...rules], version });
      return version;
    },
    async renewMember(id, heartbeat, expect) {
      check();
      const slot = store.members.get(id);
      if (!slot || !matches(slot, expect)) return 'conflict';
      slot.doc = { ...slot.doc, heartbeat };
      slot.version = next();
      return slot.version;
    },
    async listMembers() {
      check();
      return [...store.members].map(([id, s]) => ({ id, doc: { ...s.doc }, version: s.version }));
    },
    async memberRules(ids) {
      check();
      return new Map(
        ids.flatMap((id) => (store.members.has(id) ? [[id, store.members.get(id)!.rules]] : [])),
      );
    },
    async deleteMember(id, expect) {
      check();
      if (matches(store.members.get(id), expect)) store.members.delete(id);
    },
    async getLeases(rules) {
      check();
      const out = new Map<string, Versioned<LeaseDoc>>();
      for (const r of rules) {
        const s = store.leases.get(r);
        if (s) out.set(r, { id: r, doc: { ...s.doc }, version: s.version });
      }
      return out;
    },
    async listLeases() {
      check();
      return [...store.leases].map(([id, s]) => ({ id, doc: { ...s.doc }, version: s.version }));
    },
    async writeLeases(writes) {
      check();
      const out = new Map<string, Version | 'conflict'>();
      for (const w of writes) {
        if (!matches(store.leases.get(w.id), w.expect)) {
          out.set(w.id, 'conflict');
          continue;
        }
        const version = next();
        store.leases.set(w.id, { doc: { ...w.doc }, version });
        out.set(w.id, version);
      }
      return out;
    },
  };
  function check() {
    if (store.down) throw new Error('lease store unreachable');
  }
  return store;
}
