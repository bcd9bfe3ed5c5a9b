/** What every page gets: the route, the caller's session, and a signal that ends with the page. */
import type { SessionInfo } from './api-types.ts';

export interface Route {
  /** The hash path, decoded: #/rule/a%2Fb -> ['rule', 'a/b']. */
  path: string[];
  query: URLSearchParams;
}

export interface PageContext {
  route: Route;
  session: SessionInfo;
  /** Aborted when the person leaves the page (pending requests stop). */
  signal: AbortSignal;
  /** Goes to another route (or the same with other parameters). */
  go(hash: string): void;
}

/** Renders into `root`; may return a cleanup. */
export type Page = (
  root: HTMLElement,
  ctx: PageContext,
) => void | (() => void) | Promise<void | (() => void)>;

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [path = '', qs = ''] = raw.split('?', 2);
  const parts = path.split('/').filter(Boolean);
  let decoded: string[];
  try {
    decoded = parts.map((p) => decodeURIComponent(p));
  } catch {
    decoded = [];
  }
  return { path: decoded, query: new URLSearchParams(qs) };
}
