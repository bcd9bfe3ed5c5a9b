/** A table's header row from the words of its columns ('' for a column without a title). */
import { h } from '../dom.ts';
import { type MessageKey, t } from '../i18n.ts';

export function tableHead(columns: readonly (MessageKey | '')[]): HTMLTableSectionElement {
  return h(
    'thead',
    null,
    h(
      'tr',
      null,
      columns.map((k) => h('th', null, k ? t(k) : '')),
    ),
  );
}
