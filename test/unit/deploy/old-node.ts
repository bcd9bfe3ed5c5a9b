/**
 * An installed Node.js that esalert does not support (the machine's own node, on most machines):
 * the first on PATH, or in /usr/bin or /usr/local/bin, outside node_modules. Tests run esalert on it
 * to see it refused.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { isSupportedNode } from '../../../bin/check-node.cjs';

export interface OldNode {
  path: string;
  version: string;
}

export function findOldNode(env: NodeJS.ProcessEnv = process.env): OldNode | undefined {
  const dirs = [...(env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin'].filter(
    (d) => d && !d.includes('node_modules'),
  );
  for (const dir of new Set(dirs)) {
    const candidate = join(dir, 'node');
    if (!existsSync(candidate)) continue;
    try {
      // the path as the binary itself reports it (links resolved), as the refusal names it
      const script = 'process.execPath + "\\n" + process.versions.node';
      const [path, version] = execFileSync(candidate, ['-p', script], { encoding: 'utf8' })
        .trim()
        .split('\n');
      if (path && version && !isSupportedNode(version)) return { path, version };
    } catch {
      // not runnable here
    }
  }
  return undefined;
}

/** What bin/check-node.cjs says to it, without the final period (under npm a hint follows). */
export const refusalOf = (old: OldNode) =>
  `esalert needs Node.js 24 (or 22.18 or later), and ${old.path} is Node.js ${old.version}`;
