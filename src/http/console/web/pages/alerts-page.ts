/** Alerts: the writeback's alert history, filtered by rule, query_key value, time and state. */
import { api, query } from '../api.ts';
import type { AlertsResponse, AlertState } from '../api-types.ts';
import { h, link, replace } from '../dom.ts';
import { t } from '../i18n.ts';
import type { Page } from '../page.ts';
import { isoUtc, parseInputTime } from '../time-format.ts';
import { alertCard } from './alert-card.ts';
import { ruleNameInput } from './rule-names.ts';

const PAGE = 25;
const STATES: readonly ('' | AlertState)[] = ['', 'delivered', 'pending', 'failed'];

export const alertsPage: Page = async (root, ctx) => {
  const q = ctx.route.query;
  const [rule, datalist] = ruleNameInput({
    name: 'rule',
    value: q.get('rule') ?? '',
    placeholder: t('alerts.anyRule'),
  });
  const qk = h('input', {
    name: 'query_key',
    value: q.get('query_key') ?? '',
    placeholder: t('alerts.anyKey'),
    autocomplete: 'off',
  });
  const from = h('input', {
    name: 'from',
    value: q.get('from') ?? '',
    placeholder: '2024-05-14T00:00:00Z',
    size: 20,
  });
  const to = h('input', { name: 'to', value: q.get('to') ?? '', placeholder: t('common.now'), size: 20 });
  const state = h(
    'select',
    { name: 'state' },
    STATES.map((s) => h('option', { value: s }, s ? t(`alerts.state.${s}`) : t('alerts.anyState'))),
  );
  state.value = q.get('state') ?? '';
  const offset = Number(q.get('offset') ?? 0) || 0;
  const out = h('div', { class: 'alerts-out' }, t('common.loading'));
  const form = h(
    'form',
    { class: 'toolbar filters' },
    h('label', null, t('silences.rule'), rule),
    h('label', null, t('alerts.queryKey'), qk),
    h('label', null, t('alerts.from'), from),
    h('label', null, t('alerts.to'), to),
    h('label', null, t('alerts.stateLabel'), state),
    (['1h', '24h', '7d'] as const).map((span) => {
      const ms = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 }[span];
      const b = h('button', { type: 'button', class: 'preset' }, t('common.last', { span }));
      b.addEventListener('click', () => {
        from.value = isoUtc(Date.now() - ms);
        to.value = '';
      });
      return b;
    }),
    h('button', { type: 'submit', class: 'primary' }, t('common.apply')),
    datalist,
  );
  const target = (off: number) =>
    link(['alerts'], {
      rule: rule.value.trim() || undefined,
      query_key: qk.value.trim() || undefined,
      from: from.value.trim() || undefined,
      to: to.value.trim() || undefined,
      state: state.value || undefined,
      offset: off ? String(off) : undefined,
    });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.go(target(0));
  });
  replace(root, h('h1', null, t('nav.alerts')), form, out);

  const fromMs = parseInputTime(from.value);
  const toMs = parseInputTime(to.value);
  const r = await api<AlertsResponse>(
    `/api/alerts${query({
      rule: q.get('rule'),
      query_key: q.get('query_key'),
      from: fromMs === undefined ? undefined : new Date(fromMs).toISOString(),
      to: toMs === undefined ? undefined : new Date(toMs).toISOString(),
      state: q.get('state'),
      offset,
      limit: PAGE,
    })}`,
    { signal: ctx.signal },
  );
  const pager = h(
    'nav',
    { class: 'pager' },
    offset > 0 ? h('a', { href: target(Math.max(0, offset - PAGE)) }, `← ${t('common.newer')}`) : null,
    h(
      'span',
      { class: 'muted' },
      r.total ? t('alerts.range', { from: offset + 1, to: offset + r.alerts.length, total: r.total }) : '',
    ),
    offset + r.alerts.length < r.total
      ? h('a', { href: target(offset + PAGE) }, `${t('common.older')} →`)
      : null,
  );
  replace(
    out,
    r.truncated || r.scanned !== undefined
      ? h(
          'p',
          { class: 'muted small' },
          t('alerts.scanned', { n: r.scanned ?? 0 }),
          r.truncated ? ` ${t('alerts.truncated')}` : '',
        )
      : null,
    r.alerts.length
      ? [pager, ...r.alerts.map((a) => alertCard(a)), pager.cloneNode(true)]
      : h('p', { class: 'empty' }, t('alerts.none')),
  );
  performance.mark('esalert:content');
};
