/**
 * Rules: one row per rule, from one request, searched and filtered here, drawn by a virtual list
 * (only the rows in view are in the document), with the files that failed to load above.
 */
import { api } from '../api.ts';
import type { LoadError, RuleRow, RulesResponse } from '../api-types.ts';
import { h, link, replace } from '../dom.ts';
import { t } from '../i18n.ts';
import type { Page } from '../page.ts';
import { durationText, relative, timeEl } from '../time-format.ts';
import { virtualList } from '../virtual-list.ts';

const ROW_HEIGHT = 44;

type Status = 'all' | 'ok' | 'error' | 'never' | 'silenced' | 'warnings' | 'alerting';

function statusOf(r: RuleRow): 'ok' | 'error' | 'never' {
  if (!r.lastRun) return 'never';
  return r.lastRun.error || r.reloadError ? 'error' : 'ok';
}

function matches(r: RuleRow, status: Status, type: string): boolean {
  if (type && r.type !== type) return false;
  switch (status) {
    case 'all':
      return true;
    case 'ok':
    case 'error':
    case 'never':
      return statusOf(r) === status;
    case 'silenced':
      return r.silences.length > 0;
    case 'warnings':
      return r.warningCount > 0;
    case 'alerting':
      return (r.lastRun?.alerted ?? 0) > 0;
  }
}

function lastRunCell(r: RuleRow): HTMLElement {
  const s = statusOf(r);
  const run = r.lastRun;
  return h(
    'div',
    { class: 'cell lastrun', role: 'cell' },
    h('span', { class: `dot ${s}`, title: t(`status.${s}`) }),
    run ? timeEl(run.startedAt) : h('span', { class: 'muted' }, t('rules.neverRun')),
    run?.error ? h('span', { class: 'err-text', title: run.error }, run.error) : null,
    r.reloadError ? h('span', { class: 'err-text', title: r.reloadError }, t('rules.reloadFailed')) : null,
  );
}

function silencedCell(r: RuleRow): HTMLElement {
  if (!r.silences.length) return h('div', { class: 'cell', role: 'cell' }, '');
  const whole = r.silences.find((s) => s.queryKey === undefined);
  const until = r.silences
    .map((s) => s.until)
    .sort()
    .at(-1);
  const label = whole
    ? t('rules.silencedWhole')
    : t('rules.silencedKeys', { n: r.silences.filter((s) => s.queryKey !== undefined).length });
  const title = r.silences
    .map((s) => `${s.queryKey ?? t('silences.wholeRule')} → ${s.until} (${t(`silences.kind.${s.kind}`)})`)
    .join('\n');
  return h(
    'div',
    { class: 'cell', role: 'cell' },
    h('span', { class: 'badge silenced', title }, label),
    ' ',
    until ? h('span', { class: 'muted small' }, relative(until)) : null,
  );
}

function row(r: RuleRow): HTMLElement {
  const run = r.lastRun;
  return h(
    'div',
    { class: `vrow rules-grid ${statusOf(r)}`, role: 'row', 'data-rule': r.name },
    h(
      'div',
      { class: 'cell name', role: 'cell' },
      h('a', { href: link(['rule', r.name]), title: r.file }, r.name),
      r.warningCount
        ? h('span', { class: 'badge warn', title: t('rules.warningsTitle') }, `⚠ ${r.warningCount}`)
        : null,
    ),
    h('div', { class: 'cell', role: 'cell' }, r.type),
    h('div', { class: 'cell mono', role: 'cell', title: r.index }, r.index),
    h('div', { class: 'cell', role: 'cell' }, r.schedule),
    h('div', { class: 'cell muted', role: 'cell' }, r.owner ?? '—'),
    lastRunCell(r),
    h(
      'div',
      { class: 'cell num', role: 'cell' },
      run ? `${run.hits} / ${run.matches} / ${run.alerted}` : '—',
    ),
    h('div', { class: 'cell num', role: 'cell' }, run ? durationText(run.durationMs) : '—'),
    h('div', { class: 'cell', role: 'cell' }, r.nextRun ? timeEl(r.nextRun) : '—'),
    silencedCell(r),
  );
}

function loadErrors(errors: LoadError[]): HTMLElement | null {
  if (!errors.length) return null;
  return h(
    'section',
    { class: 'panel load-errors', 'aria-label': t('rules.loadErrors') },
    h('h2', null, t('rules.loadErrors'), ' ', h('span', { class: 'badge error' }, String(errors.length))),
    h(
      'ul',
      null,
      errors.map((e) =>
        h(
          'li',
          null,
          h('code', { class: 'file' }, e.line !== undefined ? `${e.file}:${e.line}` : e.file),
          h('pre', { class: 'err-text block' }, e.error),
        ),
      ),
    ),
  );
}

export const rulesPage: Page = async (root, ctx) => {
  const header = h(
    'div',
    { class: 'vhead rules-grid', role: 'row' },
    ...(
      [
        'rules.col.name',
        'rules.col.type',
        'rules.col.index',
        'rules.col.schedule',
        'rules.col.owner',
        'rules.col.lastRun',
        'rules.col.counts',
        'rules.col.took',
        'rules.col.nextRun',
        'rules.col.silenced',
      ] as const
    ).map((k) => h('div', { class: 'cell', role: 'columnheader' }, t(k))),
  );
  const count = h('span', { class: 'count muted' }, t('common.loading'));
  const search = h('input', {
    type: 'search',
    id: 'rule-search',
    placeholder: t('rules.search'),
    'aria-label': t('rules.search'),
    value: ctx.route.query.get('q') ?? '',
    autocomplete: 'off',
  });
  const statusSel = h(
    'select',
    { 'aria-label': t('rules.status') },
    (['all', 'ok', 'error', 'never', 'alerting', 'silenced', 'warnings'] as const).map((s) =>
      h('option', { value: s }, t(`rules.filter.${s}`)),
    ),
  );
  statusSel.value = ctx.route.query.get('status') ?? 'all';
  const typeSel = h(
    'select',
    { 'aria-label': t('rules.col.type') },
    h('option', { value: '' }, t('rules.allTypes')),
  );
  const errorsBox = h('div');
  const list = virtualList<RuleRow>({
    rowHeight: ROW_HEIGHT,
    className: 'rules-list',
    renderRow: row,
    empty: () => h('p', { class: 'empty' }, t('rules.none')),
  });
  replace(
    root,
    h('h1', null, t('nav.rules')),
    errorsBox,
    h('div', { class: 'toolbar' }, search, statusSel, typeSel, count),
    h('div', { class: 'table rules-table', role: 'table', 'aria-label': t('nav.rules') }, header, list.el),
  );

  const data = await api<RulesResponse>('/api/rules', { signal: ctx.signal });
  replace(errorsBox, loadErrors(data.loadErrors));
  const types = [...new Set(data.rules.map((r) => r.type))].sort();
  for (const ty of types) typeSel.append(h('option', { value: ty }, ty));
  typeSel.value = ctx.route.query.get('type') ?? '';
  const haystacks = data.rules.map((r) => `${r.name}\n${r.type}\n${r.index}\n${r.file}`.toLowerCase());

  const apply = () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const status = statusSel.value as Status;
    const type = typeSel.value;
    const shown = data.rules.filter(
      (r, i) => matches(r, status, type) && words.every((w) => haystacks[i]!.includes(w)),
    );
    list.setItems(shown);
    count.textContent = t('rules.count', { shown: shown.length, total: data.rules.length });
    const q = new URLSearchParams();
    if (search.value) q.set('q', search.value);
    if (status !== 'all') q.set('status', status);
    if (type) q.set('type', type);
    const hash = `#/rules${q.size ? `?${q}` : ''}`;
    if (location.hash !== hash) history.replaceState(null, '', hash);
  };
  search.addEventListener('input', apply);
  statusSel.addEventListener('change', apply);
  typeSel.addEventListener('change', apply);
  apply();
  performance.mark('esalert:content');
  return () => list.destroy();
};
