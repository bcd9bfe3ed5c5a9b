/**
 * The lease store: what replicas coordinate through, next to the writeback indices.
 *
 *   <wb>_esalert_members  one document per running instance: when it started, its heartbeat,
 *                         the hash of its rule set and the identities (name@hash) of its rules
 *   <wb>_esalert_leases   one document per rule name: which instance runs it, under which epoch
 *
 * Every write is conditional (if_seq_no/if_primary_term, or create when absent), so two
 * instances never both believe a write of theirs won.
 */

export type LeaseKind = 'members' | 'leases';

export function leaseIndex(writebackIndex: string, kind: LeaseKind): string {
  return `${writebackIndex}_esalert_${kind}`;
}

/** Where a document stood when read: the condition of the next write. */
export interface Version {
  seqNo: number;
  primaryTerm: number;
}

export interface Versioned<T> {
  id: string;
  doc: T;
  version: Version;
}

export interface MemberDoc {
  member: string;
  started: string;
  /** Wall clock of the last renewal (shown to people; liveness is judged on changes seen). */
  heartbeat: string;
  /** Hash of the sorted rule identities. */
  rule_set: string;
  /** How many rules it has loaded. */
  rule_count: number;
}

export interface LeaseDoc {
  rule: string;
  /** The member running the rule; '' once released. */
  owner: string;
  /** Raised by each claim: a run may alert only under the epoch it claimed. */
  epoch: number;
  /** The content hash of the owner's version of the rule. */
  rule_hash: string;
  /** When the current owner claimed it (or released it). */
  since: string;
}

/** A conditional write: over the version read, or a create when the document was absent. */
export interface LeaseWrite {
  id: string;
  doc: LeaseDoc;
  expect: Version | 'absent';
}

export interface LeaseStore {
  /** Creates the two indices when missing. */
  ensureIndices(signal?: AbortSignal): Promise<void>;
  /** Writes a member document (its rule identities beside it); 'conflict' when `expect` no longer holds. */
  putMember(
    doc: MemberDoc,
    rules: readonly string[],
    expect: Version | 'absent' | 'any',
    signal?: AbortSignal,
  ): Promise<Version | 'conflict'>;
  /** Renews the heartbeat of a member document read or written at `expect`. */
  renewMember(
    id: string,
    heartbeat: string,
    expect: Version,
    signal?: AbortSignal,
  ): Promise<Version | 'conflict'>;
  /** Every member document (without their rule lists). */
  listMembers(signal?: AbortSignal): Promise<Versioned<MemberDoc>[]>;
  /** The rule identities of these members. */
  memberRules(ids: readonly string[], signal?: AbortSignal): Promise<Map<string, string[]>>;
  deleteMember(id: string, expect: Version | 'any', signal?: AbortSignal): Promise<void>;
  /** Lease documents of these rules, read in real time (absent ones are left out). */
  getLeases(rules: readonly string[], signal?: AbortSignal): Promise<Map<string, Versioned<LeaseDoc>>>;
  /** Every lease document, as searches see them (for views, not for writes). */
  listLeases(signal?: AbortSignal): Promise<Versioned<LeaseDoc>[]>;
  /** Conditional writes, in one request; each succeeds with its new version or is a 'conflict'. */
  writeLeases(
    writes: readonly LeaseWrite[],
    signal?: AbortSignal,
  ): Promise<Map<string, Version | 'conflict'>>;
}
