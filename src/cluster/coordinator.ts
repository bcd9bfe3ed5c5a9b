/**
 * Replicas share the rules through the lease store (Kibana's task manager claims work the same
 * way): each instance keeps a member document alive, sees which members are alive, and runs the
 * rules rendezvous hashing gives it among them, each under a lease document it claimed with a
 * conditional write. A claim raises the rule's epoch; what a run sends is checked against it.
 *
 * Liveness is judged on changes seen, in this process's monotonic time, never by comparing wall
 * clocks: a member whose document did not change for a lease period is dead. An instance holds
 * its leases only while its own last renewal started less than a lease period minus one renew
 * interval ago, so that it stops before anyone who saw that renewal can judge it dead; past
 * that it runs and sends nothing until it renews (docs/replicas.md states the timing this needs).
 *
 * A rule is identified by name plus content hash. Members whose version of a rule differs do not
 * compete for it: the one holding the lease keeps it while alive, the other takes over when it
 * leaves. See docs/replicas.md.
 */
import type { Logger } from 'pino';
import { errorMessage } from '../errors/esalert-error.ts';
import type { LeaseDoc, LeaseStore, LeaseWrite, MemberDoc, Version } from '../state/lease-store.ts';
import { toIso } from '../util/time.ts';
import { rendezvousOwner } from './rendezvous.ts';
import { ruleIdentity, ruleSetHash, type RuleIdentity } from './rule-identity.ts';

export interface CoordinatorOptions {
  store: LeaseStore;
  memberId: string;
  /** A member whose document did not change for this long is dead. */
  leaseMs: number;
  /** How often the member document is renewed and the membership read. */
  renewMs: number;
  /** Elapsed real time in ms (performance.now): liveness and holding. */
  monotonic(): number;
  /** Wall clock (epoch ms), for what the documents show people. */
  now(): number;
  logger: Logger;
  /** A rule whose run is going is not given away until it finished. */
  busy?(rule: string): boolean;
  /** Before leases are given away: make the run status written so far visible to the next owner. */
  beforeRelease?(): Promise<void>;
  /** Leases this instance claimed; `handover` when another instance had run them. */
  onAcquired?(rules: string[], handover: boolean): void;
  onLost?(rules: string[]): void;
}

export interface HeldLease {
  epoch: number;
  version: Version;
  /** Monotonic time it was claimed. */
  since: number;
  /** Aborted when the lease is given away or lost. */
  lost: AbortController;
}

export interface MemberView {
  id: string;
  started: string;
  heartbeat: string;
  live: boolean;
  ruleCount: number;
  ruleSet: string;
  self: boolean;
}

export interface RuleOwnership {
  owner: string | undefined;
  epoch: number | undefined;
  /** Seconds since the current owner claimed it (when this instance is the owner). */
  leaseAgeSeconds: number | undefined;
  ownedHere: boolean;
  handovers: number;
}

export interface Coordinator {
  readonly memberId: string;
  /** The rules (name and content hash) this instance has loaded. */
  setRules(rules: readonly RuleIdentity[]): void;
  /** One round: renew, read the members, give away and claim leases. */
  tick(signal?: AbortSignal): Promise<void>;
  /** This instance holds the rule's lease now. */
  holds(rule: string): boolean;
  /** The epoch of a lease held now; undefined when not held. */
  held(rule: string): HeldLease | undefined;
  /** Reads the lease again (real time): is it still ours, under this epoch? */
  confirm(rule: string, epoch: number, signal?: AbortSignal): Promise<boolean>;
  /** The member document was renewed recently enough to hold leases. */
  isMember(): boolean;
  /** Leases the last round wanted but left for the next one (it claims in time-bounded batches). */
  deferredClaims(): number;
  members(): MemberView[];
  ownership(rule: string): RuleOwnership;
  /** Gives every lease back and removes the member document (shutdown). */
  leave(signal?: AbortSignal): Promise<void>;
}

/** Leases claimed per round trip (one read, one write); a round stops between batches once half a renew interval went by. */
const CLAIM_BATCH = 500;
/** How long a lease read of confirm() waits for others to share its request (ms). */
const CONFIRM_LINGER_MS = 10;

interface Observed {
  doc: MemberDoc;
  version: Version;
  changedAt: number;
}

export function createCoordinator(o: CoordinatorOptions): Coordinator {
  const { store, memberId: me, leaseMs, renewMs, logger } = o;
  const holdMs = leaseMs - renewMs;
  const started = toIso(o.now());
  let rules = new Map<string, string>(); // name -> content hash
  let identities: string[] = [];
  let setHash = ruleSetHash([]);
  let rulesChanged = true;
  let myVersion: Version | undefined;
  let renewedAt: number | undefined; // monotonic start of the last successful renewal
  let polledAt: number | undefined;
  const observed = new Map<string, Observed>();
  const identitiesBySet = new Map<string, Set<string>>();
  /** Lease owners not (yet) in the member list, with when first seen (a new member's document may not be searchable yet). */
  const strangers = new Map<string, number>();
  const held = new Map<string, HeldLease>();
  const seen = new Map<string, LeaseDoc>(); // last known lease documents (views)
  const handovers = new Map<string, number>();
  /** Rules wanted here whose claim waits for the next round (the last round ran out of time). */
  let deferred = 0;

  const isMember = () => renewedAt !== undefined && o.monotonic() - renewedAt < holdMs;

  const isLive = (id: string, t: number): boolean => {
    if (id === me) return true;
    const m = observed.get(id);
    if (m) return t - m.changedAt < leaseMs;
    const first = strangers.get(id) ?? t;
    strangers.set(id, first);
    return t - first < leaseMs;
  };

  const lose = (names: string[], why: string) => {
    if (names.length === 0) return;
    for (const n of names) {
      held.get(n)?.lost.abort(new Error(why));
      held.delete(n);
    }
    logger.warn({ rules: names.length, why }, 'leases lost');
    o.onLost?.(names);
  };

  /** The write that gives a held lease back (same epoch, no owner). */
  const release = (name: string, h: HeldLease): LeaseWrite => ({
    id: name,
    expect: h.version,
    doc: { rule: name, owner: '', epoch: h.epoch, rule_hash: rules.get(name) ?? '', since: toIso(o.now()) },
  });

  async function renew(t: number, signal?: AbortSignal) {
    const doc: MemberDoc = {
      member: me,
      started,
      heartbeat: toIso(o.now()),
      rule_set: setHash,
      rule_count: identities.length,
    };
    let v: Version | 'conflict' = 'conflict';
    if (myVersion && !rulesChanged) v = await store.renewMember(me, doc.heartbeat, myVersion, signal);
    if (v === 'conflict') v = await store.putMember(doc, identities, myVersion ?? 'any', signal);
    // someone else wrote our document (it was removed as dead, or written twice): take it back
    if (v === 'conflict') v = await store.putMember(doc, identities, 'any', signal);
    if (v === 'conflict') throw new Error('the member document keeps changing under us');
    myVersion = v;
    rulesChanged = false;
    const lapsed = !isMember();
    renewedAt = t;
    if (lapsed && held.size > 0) {
      // we may have been judged dead meanwhile: keep only the leases still ours
      const now = await store.getLeases([...held.keys()], signal);
      lose(
        [...held]
          .filter(([n, h]) => now.get(n)?.doc.owner !== me || now.get(n)?.doc.epoch !== h.epoch)
          .map(([n]) => n),
        'another instance claimed them while this one was not renewing',
      );
    }
  }

  async function poll(t: number, signal?: AbortSignal) {
    const list = await store.listMembers(signal);
    // after a gap in our own view (we could not read), nobody is judged on it: every member gets a fresh period
    const blind = polledAt === undefined || t - polledAt > 2 * renewMs + 1000;
    polledAt = t;
    const present = new Set<string>();
    for (const m of list) {
      present.add(m.id);
      strangers.delete(m.id);
      const prev = observed.get(m.id);
      const changed =
        !prev || prev.version.seqNo !== m.version.seqNo || prev.version.primaryTerm !== m.version.primaryTerm;
      let changedAt = prev?.changedAt ?? t;
      if (changed || blind) changedAt = t;
      if (!prev) {
        // a document last renewed long ago (by the wall clock) belongs to a member that is gone
        const beat = Date.parse(m.doc.heartbeat);
        if (Number.isFinite(beat) && o.now() - beat > 2 * leaseMs) changedAt = t - leaseMs;
      }
      observed.set(m.id, { doc: m.doc, version: m.version, changedAt });
    }
    for (const id of [...observed.keys()]) if (!present.has(id)) observed.delete(id);
    const unknown = new Map<string, string>();
    for (const m of observed.values())
      if (m.doc.member !== me && !identitiesBySet.has(m.doc.rule_set))
        unknown.set(m.doc.rule_set, m.doc.member);
    if (unknown.size) {
      const got = await store.memberRules([...unknown.values()], signal);
      for (const [set, id] of unknown) {
        const r = got.get(id);
        if (r) identitiesBySet.set(set, new Set(r));
      }
    }
  }

  /** Whether this instance should run the rule: first among live members with the same version of it. */
  function wanted(t: number): Set<string> {
    const live = [...observed.values()].filter((m) => m.doc.member !== me && t - m.changedAt < leaseMs);
    const out = new Set<string>();
    for (const [name, hash] of rules) {
      const id = ruleIdentity(name, hash);
      const candidates = [
        me,
        ...live.filter((m) => identitiesBySet.get(m.doc.rule_set)?.has(id)).map((m) => m.doc.member),
      ];
      if (rendezvousOwner(id, candidates) === me) out.add(name);
    }
    return out;
  }

  /** Gives back the leases this instance should no longer run (those not busy). */
  async function giveAway(want: Set<string>, signal?: AbortSignal) {
    const writes = [...held]
      .filter(([name]) => !want.has(name) && !o.busy?.(name))
      .map(([n, h]) => release(n, h));
    if (writes.length === 0) return;
    await o.beforeRelease?.().catch(() => {});
    const results = await store.writeLeases(writes, signal);
    for (const w of writes) {
      const r = results.get(w.id);
      if (r && r !== 'conflict') seen.set(w.id, w.doc);
      // a release that conflicted was not ours any more either
      held.get(w.id)?.lost.abort(new Error('given to another instance'));
      held.delete(w.id);
    }
    logger.info({ rules: writes.length }, 'leases given to other instances');
    o.onLost?.(writes.map((w) => w.id));
  }

  /** Claims the leases of `names` that are free or whose owner is dead (one read, one bulk write); returns how many were taken over. */
  async function claim(names: string[], t: number, signal?: AbortSignal) {
    const current = await store.getLeases(names, signal);
    const writes: LeaseWrite[] = [];
    const handover = new Set<string>();
    for (const name of names) {
      const cur = current.get(name);
      const doc = (epoch: number): LeaseDoc => ({
        rule: name,
        owner: me,
        epoch,
        rule_hash: rules.get(name)!,
        since: toIso(o.now()),
      });
      if (!cur) {
        writes.push({ id: name, expect: 'absent', doc: doc(1) });
        continue;
      }
      seen.set(name, cur.doc);
      const owner = cur.doc.owner;
      if (owner !== '' && owner !== me && isLive(owner, t)) continue; // running elsewhere: wait
      writes.push({ id: name, expect: cur.version, doc: doc(cur.doc.epoch + 1) });
      if (owner !== me) handover.add(name);
    }
    if (writes.length === 0) return 0;
    const results = await store.writeLeases(writes, signal);
    const acquired: string[] = [];
    const handedOver: string[] = [];
    for (const w of writes) {
      const r = results.get(w.id);
      if (!r || r === 'conflict') continue;
      seen.set(w.id, w.doc);
      held.set(w.id, { epoch: w.doc.epoch, version: r, since: o.monotonic(), lost: new AbortController() });
      if (handover.has(w.id)) {
        handovers.set(w.id, (handovers.get(w.id) ?? 0) + 1);
        handedOver.push(w.id);
      } else acquired.push(w.id);
    }
    // each batch's rules may start at once, before the next batch is claimed
    if (acquired.length) o.onAcquired?.(acquired, false);
    if (handedOver.length) o.onAcquired?.(handedOver, true);
    return handedOver.length;
  }

  /**
   * Gives away and claims. Claims go in batches; once half a renew interval went by, the rest
   * waits for the next round, so that claiming thousands of rules never delays the renewal that
   * keeps this instance a member.
   */
  async function exchange(t: number, signal?: AbortSignal) {
    const want = wanted(t);
    await giveAway(want, signal);
    const missing = [...want].filter((n) => !held.has(n));
    let handedOver = 0;
    deferred = 0;
    for (let i = 0; i < missing.length; i += CLAIM_BATCH) {
      if (i > 0 && o.monotonic() - t > renewMs / 2) {
        deferred = missing.length - i;
        logger.info({ rules: deferred }, 'more leases to claim at the next round');
        break;
      }
      handedOver += await claim(missing.slice(i, i + CLAIM_BATCH), t, signal);
    }
    if (handedOver) logger.info({ rules: handedOver }, 'leases taken over from other instances');
  }

  async function refreshView(t: number, signal?: AbortSignal) {
    // one member alone holding all it wants needs no view of the others' leases
    const others = [...observed.values()].some((m) => m.doc.member !== me && t - m.changedAt < leaseMs);
    if (!others && seen.size >= rules.size) return;
    for (const l of await store.listLeases(signal)) seen.set(l.id, l.doc);
  }

  /**
   * Lease reads of confirm(), gathered for CONFIRM_LINGER_MS into one `_mget`: the runs of a
   * scheduler tick that have matches confirm their leases together.
   */
  let confirming: { names: Set<string>; read: ReturnType<LeaseStore['getLeases']> } | undefined;
  const readLease = (rule: string, signal?: AbortSignal): Promise<LeaseDoc | undefined> => {
    signal?.throwIfAborted();
    if (!confirming) {
      const names = new Set<string>();
      const read = new Promise((r) => setTimeout(r, CONFIRM_LINGER_MS)).then(() => {
        confirming = undefined;
        return store.getLeases([...names]);
      });
      confirming = { names, read };
    }
    confirming.names.add(rule);
    const doc = confirming.read.then((got) => got.get(rule)?.doc);
    if (!signal) return doc;
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      void doc.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  };

  let ticking: Promise<void> | undefined;
  return {
    memberId: me,
    setRules(list) {
      const next = new Map(list.map((r) => [r.name, r.hash]));
      const ids = [...next].map(([n, h]) => ruleIdentity(n, h)).sort();
      const hash = ruleSetHash(ids);
      if (hash === setHash && rules.size === next.size) return;
      rules = next;
      identities = ids;
      setHash = hash;
      rulesChanged = true;
    },
    tick(signal) {
      ticking ??= (async () => {
        const t = o.monotonic();
        try {
          await renew(t, signal);
          await poll(t, signal);
          await exchange(t, signal);
          await refreshView(t, signal);
        } catch (err) {
          logger.warn({ err: errorMessage(err) }, 'replica coordination failed; trying again');
        } finally {
          ticking = undefined;
        }
      })();
      return ticking;
    },
    holds: (rule) => held.has(rule) && isMember(),
    held: (rule) => (isMember() ? held.get(rule) : undefined),
    async confirm(rule, epoch, signal) {
      const h = held.get(rule);
      if (!h || h.epoch !== epoch || !isMember()) return false;
      const cur = await readLease(rule, signal);
      if (cur) seen.set(rule, cur);
      const ok = cur?.owner === me && cur.epoch === epoch;
      // a lease claimed again meanwhile (under a newer epoch) is not this run's to drop
      if (!ok && held.get(rule)?.epoch === epoch)
        lose([rule], 'the lease document names another owner or epoch');
      return ok && isMember();
    },
    isMember,
    deferredClaims: () => deferred,
    members() {
      const t = o.monotonic();
      const list: MemberView[] = [...observed.values()].map((m) => ({
        id: m.doc.member,
        started: m.doc.started,
        heartbeat: m.doc.heartbeat,
        live: m.doc.member === me ? isMember() : t - m.changedAt < leaseMs,
        ruleCount: m.doc.rule_count,
        ruleSet: m.doc.rule_set,
        self: m.doc.member === me,
      }));
      return list.sort((a, b) => a.id.localeCompare(b.id));
    },
    ownership(rule) {
      const h = held.get(rule);
      const l = seen.get(rule);
      const ownedHere = h !== undefined && isMember();
      return {
        owner: ownedHere ? me : l?.owner || undefined,
        epoch: h?.epoch ?? l?.epoch,
        leaseAgeSeconds: ownedHere ? Math.round((o.monotonic() - h.since) / 1000) : undefined,
        ownedHere,
        handovers: handovers.get(rule) ?? 0,
      };
    },
    async leave(signal) {
      await ticking;
      const writes = [...held].map(([name, h]) => release(name, h));
      for (const h of held.values()) h.lost.abort(new Error('shutting down'));
      held.clear();
      renewedAt = undefined;
      try {
        await store.writeLeases(writes, signal);
        await store.deleteMember(me, myVersion ?? 'any', signal);
        logger.info({ rules: writes.length }, 'leases released for the other instances');
      } catch (err) {
        logger.warn(
          { err: errorMessage(err) },
          'could not release the leases; they expire after the lease period',
        );
      }
    },
  };
}
