/**
 * The replicas as the writeback shows them, for `esalert status`: each member with its heartbeat
 * age and the rules it holds, and the rules nobody holds. A one-off reader cannot watch documents
 * change, so here a member is live when its heartbeat (wall clock) is younger than the lease.
 */
import type { LeaseDoc, MemberDoc } from '../state/lease-store.ts';

export interface MemberStatus {
  member: string;
  started: string;
  heartbeatAgeSeconds: number;
  live: boolean;
  rulesLoaded: number;
  rulesHeld: string[];
}

export interface ClusterStatus {
  members: MemberStatus[];
  /** Rules whose lease was released, or whose owner is not live. */
  unowned: string[];
}

export function clusterStatus(
  members: readonly MemberDoc[],
  leases: readonly LeaseDoc[],
  now: number,
  leaseMs: number,
): ClusterStatus {
  const rows = new Map<string, MemberStatus>();
  for (const m of members) {
    const age = Math.max(0, now - (Date.parse(m.heartbeat) || 0));
    rows.set(m.member, {
      member: m.member,
      started: m.started,
      heartbeatAgeSeconds: Math.round(age / 1000),
      live: age < leaseMs,
      rulesLoaded: m.rule_count,
      rulesHeld: [],
    });
  }
  const unowned: string[] = [];
  for (const l of [...leases].sort((a, b) => a.rule.localeCompare(b.rule))) {
    const owner = l.owner ? rows.get(l.owner) : undefined;
    if (owner?.live) owner.rulesHeld.push(l.rule);
    else unowned.push(l.rule);
  }
  return { members: [...rows.values()].sort((a, b) => a.member.localeCompare(b.member)), unowned };
}

/** The status as lines for a terminal. */
export function formatClusterStatus(s: ClusterStatus): string[] {
  const lines = [`${s.members.filter((m) => m.live).length} live member(s) of ${s.members.length}`];
  for (const m of s.members)
    lines.push(
      `${m.live ? 'live' : 'gone'}  ${m.member}  started ${m.started}  heartbeat ${m.heartbeatAgeSeconds}s ago  ` +
        `rules loaded ${m.rulesLoaded}, held ${m.rulesHeld.length}${m.rulesHeld.length ? `: ${m.rulesHeld.join(', ')}` : ''}`,
    );
  if (s.unowned.length)
    lines.push(`not held by a live member (${s.unowned.length}): ${s.unowned.join(', ')}`);
  return lines;
}
