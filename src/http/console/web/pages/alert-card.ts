/** One alert from the writeback: when, which rule and key, its state, its text, each delivery and its match. */
import type { AlertEntry } from '../api-types.ts';
import { h, link } from '../dom.ts';
import { t } from '../i18n.ts';
import { timeEl } from '../time-format.ts';
import { tableHead } from './table-head.ts';

export function alertCard(a: AlertEntry, o: { showRule?: boolean; open?: boolean } = {}): HTMLElement {
  return h(
    'article',
    { class: `alert-card state-${a.state}`, 'data-alert': a.id },
    h(
      'header',
      null,
      timeEl(a.at),
      o.showRule === false ? null : h('a', { class: 'rule', href: link(['rule', a.rule]) }, a.rule),
      a.queryKey !== null ? h('span', { class: 'qk mono', title: t('alerts.queryKey') }, a.queryKey) : null,
      a.matchTime ? h('span', { class: 'muted small' }, t('alerts.matchAt'), ' ', timeEl(a.matchTime)) : null,
      h('span', { class: `badge ${a.state}` }, t(`alerts.state.${a.state}`)),
      a.aggregated ? h('span', { class: 'badge' }, t('alerts.aggregated', { n: a.aggregated })) : null,
      a.state === 'pending'
        ? h('span', { class: 'muted small' }, t('alerts.due'), ' ', timeEl(a.alertTime))
        : null,
    ),
    a.title !== null ? h('div', { class: 'alert-title' }, a.title) : null,
    a.text !== null
      ? h('pre', { class: 'alert-text' }, a.text)
      : h('p', { class: 'muted' }, t('alerts.noText')),
    h(
      'div',
      { class: 'deliveries' },
      h('span', { class: 'muted small' }, t('alerts.deliveries')),
      a.deliveries.map((d) =>
        h(
          'span',
          { class: `delivery ${d.delivered ? 'ok' : a.state === 'failed' ? 'failed' : 'pending'}` },
          `${d.delivered ? '✓' : a.state === 'failed' ? '✗' : '…'} ${d.alerter}`,
        ),
      ),
      a.error ? h('span', { class: 'err-text', title: a.error }, a.error) : null,
    ),
    a.attempts.length
      ? h(
          'details',
          { class: 'attempts', open: o.open ?? false },
          h('summary', null, t('alerts.attempts', { n: a.attempts.length })),
          h(
            'table',
            { class: 'grid' },
            tableHead(['alerts.col.time', 'alerts.col.alerter', 'alerts.col.result', 'alerts.col.error']),
            h(
              'tbody',
              null,
              a.attempts.map((x) =>
                h(
                  'tr',
                  { class: x.ok ? 'ok' : 'failed' },
                  h('td', null, timeEl(x.at)),
                  h('td', { class: 'mono' }, x.alerter),
                  h(
                    'td',
                    null,
                    x.ok ? t('alerts.sent') : x.retryable ? t('alerts.failedRetryable') : t('alerts.failed'),
                  ),
                  h('td', { class: 'err-text' }, x.error ?? ''),
                ),
              ),
            ),
          ),
        )
      : null,
    h(
      'details',
      { class: 'match' },
      h('summary', null, t('alerts.match')),
      h('pre', null, JSON.stringify(a.match, null, 2)),
    ),
  );
}
