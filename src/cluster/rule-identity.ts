/**
 * A rule among replicas is its name plus the content hash of its files: two instances with the
 * same identity run the same rule; the same name with another hash is another version of it.
 */
import { createHash } from 'node:crypto';

export interface RuleIdentity {
  name: string;
  hash: string;
}

export function ruleIdentity(name: string, hash: string): string {
  return `${name}@${hash}`;
}

/** A short hash of a set of rule identities (sorted), naming an instance's rule set. */
export function ruleSetHash(sortedIdentities: readonly string[]): string {
  const h = createHash('sha1');
  for (const id of sortedIdentities) h.update(id).update('\n');
  return h.digest('hex').slice(0, 16);
}
