/** `esalert status` from the documents: members live by heartbeat age, the rules each holds, and the rest. */
import { describe, expect, it } from 'vitest';
import { clusterStatus, formatClusterStatus } from '../../../src/cluster/cluster-status.ts';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const member = (id: string, beat: number) => ({
  member: id,
  started: at(0),
  heartbeat: at(beat),
  rule_set: 'x',
  rule_count: 3,
});
const lease = (rule: string, owner: string) => ({ rule, owner, epoch: 1, rule_hash: 'h', since: at(0) });

describe('cluster status', () => {
  it('lists each member with its heartbeat age and rules, and the rules no live member holds', () => {
    const s = clusterStatus(
      [member('b', 50), member('a', 58)],
      [lease('r2', 'a'), lease('r1', 'a'), lease('r3', 'b'), lease('r4', '')],
      Date.parse(at(60)),
      15_000,
    );
    expect(s.members).toEqual([
      {
        member: 'a',
        started: at(0),
        heartbeatAgeSeconds: 2,
        live: true,
        rulesLoaded: 3,
        rulesHeld: ['r1', 'r2'],
      },
      { member: 'b', started: at(0), heartbeatAgeSeconds: 10, live: true, rulesLoaded: 3, rulesHeld: ['r3'] },
    ]);
    expect(s.unowned).toEqual(['r4']);
    const gone = clusterStatus([member('b', 30)], [lease('r3', 'b')], Date.parse(at(60)), 15_000);
    expect(gone.members[0]!.live).toBe(false);
    expect(gone.unowned).toEqual(['r3']);
    expect(formatClusterStatus(gone)).toEqual([
      '0 live member(s) of 1',
      `gone  b  started ${at(0)}  heartbeat 30s ago  rules loaded 3, held 0`,
      'not held by a live member (1): r3',
    ]);
  });
});
