/**
 * A list that keeps only the rows in view in the document: thousands of rules scroll as fast as
 * a dozen. Rows have one fixed height; the spacer gives the scroll bar the full length.
 */
import { h } from './dom.ts';

export interface VirtualList<T> {
  el: HTMLElement;
  setItems(items: readonly T[]): void;
  destroy(): void;
}

const OVERSCAN = 8;

export function virtualList<T>(o: {
  rowHeight: number;
  className: string;
  renderRow(item: T, index: number): HTMLElement;
  empty: () => Node;
}): VirtualList<T> {
  const spacer = h('div', { class: 'vlist-spacer' });
  const el = h('div', { class: `vlist ${o.className}`, role: 'rowgroup' }, spacer);
  let items: readonly T[] = [];
  let first = -1;
  let last = -1;
  let frame = 0;

  const draw = (force: boolean) => {
    frame = 0;
    if (items.length === 0) {
      spacer.style.height = '0px';
      spacer.replaceChildren(o.empty());
      first = last = -1;
      return;
    }
    const top = el.scrollTop;
    const height = el.clientHeight || 600;
    const from = Math.max(0, Math.floor(top / o.rowHeight) - OVERSCAN);
    const to = Math.min(items.length, Math.ceil((top + height) / o.rowHeight) + OVERSCAN);
    if (!force && from === first && to === last) return;
    first = from;
    last = to;
    spacer.style.height = `${items.length * o.rowHeight}px`;
    const rows: HTMLElement[] = [];
    for (let i = from; i < to; i++) {
      const row = o.renderRow(items[i]!, i);
      row.style.top = `${i * o.rowHeight}px`;
      row.style.height = `${o.rowHeight}px`;
      rows.push(row);
    }
    spacer.replaceChildren(...rows);
  };
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(() => draw(false));
  };
  el.addEventListener('scroll', schedule, { passive: true });
  const resize = new ResizeObserver(schedule);
  resize.observe(el);
  return {
    el,
    setItems(next) {
      items = next;
      if (el.scrollTop > next.length * o.rowHeight) el.scrollTop = 0;
      draw(true);
    },
    destroy() {
      resize.disconnect();
      if (frame) cancelAnimationFrame(frame);
    },
  };
}
