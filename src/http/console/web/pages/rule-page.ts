/** One rule: what it is, how its last runs went, its alerts and silences, Explain, and its YAML. */
import { api, ApiFailure, errorText, query } from '../api.ts';
import type { AlertsResponse, RuleDetail, RunEntry } from '../api-types.ts';
import { h, link, replace } from '../dom.ts';
import { t } from '../i18n.ts';
import type { Page } from '../page.ts';
import { durationText, timeEl } from '../time-format.ts';
import { alertCard } from './alert-card.ts';
import { explainPanel } from './explain-panel.ts';
import { silencesSection } from './silences-view.ts';
import { tableHead } from './table-head.ts';

function runsTimeline(runs: RunEntry[]): HTMLElement {
  if (!runs.length) return h('p', { class: 'empty' }, t('rule.noRuns'));
  const oldestFirst = [...runs].reverse();
  const most = Math.max(1, ...oldestFirst.map((r) => r.hits));
  const strip = h(
    'div',
    { class: 'run-strip', role: 'img', 'aria-label': t('rule.runs') },
    oldestFirst.map((r) => {
      const cls = r.error ? 'error' : r.matches > 0 ? 'matched' : 'ok';
      const height = 12 + Math.round((Math.log1p(r.hits) / Math.log1p(most)) * 48);
      const bar = h('span', {
        class: `run-bar ${cls}`,
        title: `${r.startedAt}\n${t('rule.runTitle', { hits: r.hits, matches: r.matches })}${r.error ? `\n${r.error}` : ''}`,
      });
      bar.style.height = `${height}px`;
      return bar;
    }),
  );
  return h(
    'div',
    null,
    strip,
    h(
      'table',
      { class: 'grid runs' },
      tableHead([
        'rule.col.started',
        'rule.col.window',
        'rule.col.hits',
        'rule.col.matches',
        'rule.col.alerted',
        'rule.col.took',
        'rule.col.result',
      ]),
      h(
        'tbody',
        null,
        runs.map((r) =>
          h(
            'tr',
            { class: r.error ? 'error' : '' },
            h('td', null, timeEl(r.startedAt)),
            h('td', null, timeEl(r.window.start), ' → ', timeEl(r.window.end)),
            h('td', { class: 'num' }, String(r.hits)),
            h('td', { class: 'num' }, String(r.matches)),
            h('td', { class: 'num' }, r.alerted === null ? '—' : String(r.alerted)),
            h('td', { class: 'num' }, durationText(r.durationMs)),
            h(
              'td',
              null,
              r.error
                ? h('span', { class: 'err-text' }, r.error)
                : h('span', { class: 'badge ok' }, t('status.ok')),
              r.source === 'writeback'
                ? h('span', { class: 'badge', title: t('rule.fromWriteback') }, t('rule.stored'))
                : null,
            ),
          ),
        ),
      ),
    ),
  );
}

function facts(r: RuleDetail): HTMLElement {
  const item = (k: Parameters<typeof t>[0], v: Node | string) => [h('dt', null, t(k)), h('dd', null, v)];
  return h(
    'dl',
    { class: 'facts' },
    item('rules.col.type', r.type),
    item('rules.col.index', h('code', null, r.index)),
    item('rules.col.schedule', r.schedule),
    item('rule.file', h('code', null, r.file)),
    r.imports.length ? item('rule.imports', h('code', null, r.imports.join(', '))) : [],
    item('rules.col.owner', r.owner ?? t('rule.thisInstance')),
    item('alerts.queryKey', r.queryKey ? h('code', null, r.queryKey) : '—'),
    item('rule.realert', durationText(r.realertMs)),
    r.timeframeMs !== null ? item('rule.timeframe', durationText(r.timeframeMs)) : [],
    item('rule.alerters', r.alerters.join(', ')),
    item('rules.col.lastRun', r.lastRun ? timeEl(r.lastRun.startedAt) : t('rules.neverRun')),
    item('rules.col.nextRun', r.nextRun ? timeEl(r.nextRun) : '—'),
    item('rule.loadedAt', timeEl(r.loadedAt)),
  );
}

export const rulePage: Page = async (root, ctx) => {
  const name = ctx.route.path[1] ?? '';
  replace(root, h('p', { class: 'muted' }, t('common.loading')));
  let rule: RuleDetail;
  try {
    rule = await api<RuleDetail>(`/api/rules/${encodeURIComponent(name)}`, { signal: ctx.signal });
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 404) {
      replace(
        root,
        h('h1', null, name),
        h('p', { class: 'error' }, t('rule.notFound')),
        h('a', { href: link(['rules']) }, t('nav.rules')),
      );
      return;
    }
    throw err;
  }
  const runsBox = h('div', null, t('common.loading'));
  const alertsBox = h('div', null, t('common.loading'));
  const ruleNames = h('div');
  replace(
    root,
    h('p', { class: 'crumbs' }, h('a', { href: link(['rules']) }, t('nav.rules')), ' / '),
    h('h1', null, rule.name),
    rule.reloadError
      ? h(
          'div',
          { class: 'panel error-panel' },
          h('strong', null, t('rule.reloadError')),
          h('pre', { class: 'err-text block' }, rule.reloadError),
        )
      : null,
    facts(rule),
    rule.warnings.length
      ? h(
          'section',
          { class: 'panel warnings' },
          h('h2', null, t('rule.warnings', { n: rule.warnings.length })),
          h(
            'ul',
            null,
            rule.warnings.map((w) => h('li', null, h('code', null, w))),
          ),
        )
      : null,
    h('section', { class: 'panel' }, h('h2', null, t('rule.runs')), runsBox),
    explainPanel(rule.name, Math.max(3_600_000, Math.round((rule.timeframeMs ?? 0) * 1.01))),
    h('section', { class: 'panel' }, h('h2', null, t('nav.silences')), ruleNames),
    h(
      'section',
      { class: 'panel' },
      h(
        'h2',
        null,
        t('rule.recentAlerts'),
        ' ',
        h('a', { class: 'small', href: link(['alerts'], { rule: rule.name }) }, t('rule.allAlerts')),
      ),
      alertsBox,
    ),
    h(
      'section',
      { class: 'panel' },
      h('h2', null, t('rule.yaml')),
      h('p', { class: 'muted small' }, t('rule.yamlMasked')),
      h('pre', { class: 'yaml' }, rule.yaml),
    ),
  );
  replace(ruleNames, silencesSection({ session: ctx.session, rule: rule.name, signal: ctx.signal }));
  const runs = api<{ runs: RunEntry[] }>(
    `/api/rules/${encodeURIComponent(name)}/runs${query({ limit: 50 })}`,
    { signal: ctx.signal },
  ).then(
    (r) => replace(runsBox, runsTimeline(r.runs)),
    (err: unknown) => replace(runsBox, h('p', { class: 'error' }, errorText(err))),
  );
  const alerts = api<AlertsResponse>(`/api/alerts${query({ rule: name, limit: 20 })}`, {
    signal: ctx.signal,
  }).then(
    (r) =>
      replace(
        alertsBox,
        r.alerts.length
          ? r.alerts.map((a) => alertCard(a, { showRule: false }))
          : h('p', { class: 'empty' }, t('alerts.none')),
      ),
    (err: unknown) => replace(alertsBox, h('p', { class: 'error' }, errorText(err))),
  );
  await Promise.all([runs, alerts]);
  performance.mark('esalert:content');
};
