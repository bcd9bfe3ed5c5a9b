/**
 * Rendezvous (highest random weight) hashing: each key goes to the candidate with the highest
 * hash of (candidate, key). When a candidate joins or leaves, only the keys it wins or won move.
 */
import { createHash } from 'node:crypto';

function weight(candidate: string, key: string): bigint {
  return createHash('sha1').update(candidate).update('\u0000').update(key).digest().readBigUInt64BE(0);
}

/** The candidate `key` belongs to (undefined when there is none). */
export function rendezvousOwner(key: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestWeight = -1n;
  for (const c of candidates) {
    const w = weight(c, key);
    if (w > bestWeight || (w === bestWeight && best !== undefined && c < best)) {
      best = c;
      bestWeight = w;
    }
  }
  return best;
}
