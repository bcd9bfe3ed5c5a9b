/**
 * Explain: the rule run over a chosen window as `esalert test-rule --explain` runs it. Shows each
 * query and its hits, what became of each match (alerted, held back by realert or a silence,
 * aggregated, dropped) and the exact text that would have gone out. Nothing is sent.
 */
import { api, errorText } from '../api.ts';
import type { ExplainResponse, MatchFate } from '../api-types.ts';
import { h, replace } from '../dom.ts';
import { t } from '../i18n.ts';
import { durationText, isoUtc, parseInputTime, timeEl } from '../time-format.ts';
import { tableHead } from './table-head.ts';

function fateText(f: MatchFate): Node[] {
  switch (f.outcome) {
    case 'alerted':
      return f.realertUntil
        ? [
            document.createTextNode(`${t('explain.fate.alerted')}; ${t('explain.fate.realert')} `),
            timeEl(f.realertUntil),
          ]
        : [document.createTextNode(t('explain.fate.alerted'))];
    case 'aggregated':
      return [document.createTextNode(`${t('explain.fate.aggregated')} `), timeEl(f.alertTime)];
    case 'already-alerted':
      return [document.createTextNode(t('explain.fate.already'))];
    case 'silenced':
      return [document.createTextNode(`${t('explain.fate.silenced', { key: f.key })} `), timeEl(f.until)];
    case 'dropped':
      return [document.createTextNode(t('explain.fate.dropped', { reason: f.reason }))];
  }
}

function result(r: ExplainResponse): HTMLElement {
  const tally = new Map<string, number>();
  for (const m of r.matches) tally.set(m.outcome, (tally.get(m.outcome) ?? 0) + 1);
  return h(
    'div',
    { class: 'explain-result' },
    h(
      'p',
      { class: 'summary' },
      t('explain.summary', {
        hits: r.hits,
        queries: r.segments.length,
        matches: r.matchCount,
        alerts: r.alertCount,
      }),
      ' ',
      h('span', { class: 'muted' }, `(${durationText(r.tookMs)})`),
    ),
    h('p', { class: 'notice' }, t('explain.nothingSent')),
    r.error ? h('p', { class: 'error' }, r.error) : null,
    tally.size
      ? h(
          'p',
          null,
          [...tally].map(([k, n]) =>
            h(
              'span',
              { class: `badge fate-${k}` },
              `${n} ${t(`explain.outcome.${k as MatchFate['outcome']}`)}`,
            ),
          ),
        )
      : null,
    h('h3', null, t('explain.queries')),
    h(
      'table',
      { class: 'grid segments' },
      tableHead([
        'explain.col.from',
        'explain.col.to',
        'explain.col.index',
        'explain.col.hits',
        'explain.col.query',
      ]),
      h(
        'tbody',
        null,
        r.segments.map((s) =>
          h(
            'tr',
            null,
            h('td', null, timeEl(s.start)),
            h('td', null, timeEl(s.end)),
            h('td', { class: 'mono' }, s.index),
            h(
              'td',
              { class: 'num' },
              String(s.hits),
              s.duplicates
                ? h('span', { class: 'muted small' }, ` (${t('explain.duplicates', { n: s.duplicates })})`)
                : null,
              s.truncated ? h('span', { class: 'badge error' }, t('explain.truncated')) : null,
            ),
            h(
              'td',
              null,
              h(
                'details',
                null,
                h('summary', null, t('explain.showQuery')),
                h('pre', null, JSON.stringify(s.query, null, 2)),
              ),
            ),
          ),
        ),
      ),
    ),
    h('h3', null, t('explain.matches', { n: r.matchCount })),
    r.matches.length
      ? h(
          'table',
          { class: 'grid matches' },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              ['#', t('explain.col.time'), t('alerts.queryKey'), t('explain.col.fate')].map((x) =>
                h('th', null, x),
              ),
            ),
          ),
          h(
            'tbody',
            null,
            r.matches.map((m, i) =>
              h(
                'tr',
                { class: `fate-${m.outcome}` },
                h('td', { class: 'num' }, String(i + 1)),
                h('td', null, timeEl(m.at)),
                h('td', { class: 'mono' }, m.queryKey ?? ''),
                h('td', null, ...fateText(m)),
              ),
            ),
          ),
        )
      : h('p', { class: 'empty' }, t('explain.noMatches')),
    r.matchCount > r.matches.length
      ? h('p', { class: 'muted' }, t('explain.more', { n: r.matchCount - r.matches.length }))
      : null,
    h('h3', null, t('explain.wouldSend', { n: r.alertCount })),
    r.alerts.map((a) =>
      h(
        'div',
        { class: 'would-send' },
        h('div', { class: 'alert-title' }, a.title),
        h('pre', { class: 'alert-text' }, a.text),
      ),
    ),
  );
}

export function explainPanel(rule: string, defaultSpanMs: number): HTMLElement {
  const now = Date.now();
  const start = h('input', {
    name: 'start',
    value: isoUtc(now - defaultSpanMs),
    size: 22,
    'aria-label': t('explain.start'),
  });
  const end = h('input', { name: 'end', value: isoUtc(now), size: 22, 'aria-label': t('explain.end') });
  const out = h('div', { class: 'explain-out' });
  const run = h('button', { type: 'submit', class: 'primary' }, t('explain.run'));
  const presets = [
    ['1h', 3_600_000],
    ['24h', 86_400_000],
    ['7d', 7 * 86_400_000],
  ] as const;
  const form = h(
    'form',
    { class: 'explain-form form-row' },
    h('label', null, t('explain.start'), start),
    h('label', null, t('explain.end'), end),
    presets.map(([label, ms]) => {
      const b = h('button', { type: 'button', class: 'preset' }, t('common.last', { span: label }));
      b.addEventListener('click', () => {
        const n = Date.now();
        start.value = isoUtc(n - ms);
        end.value = isoUtc(n);
      });
      return b;
    }),
    run,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const s = parseInputTime(start.value);
    const e = parseInputTime(end.value);
    if (s === undefined || e === undefined) {
      replace(out, h('p', { class: 'error' }, t('common.badTime')));
      return;
    }
    run.disabled = true;
    replace(out, h('p', { class: 'muted' }, t('explain.running')));
    api<ExplainResponse>(`/api/rules/${encodeURIComponent(rule)}/explain`, {
      method: 'POST',
      body: { start: new Date(s).toISOString(), end: new Date(e).toISOString() },
    })
      .then(
        (r) => replace(out, result(r)),
        (err: unknown) => replace(out, h('p', { class: 'error' }, errorText(err))),
      )
      .finally(() => (run.disabled = false));
  });
  return h(
    'section',
    { class: 'panel explain', id: 'explain' },
    h('h2', null, t('explain.title')),
    h('p', { class: 'muted' }, t('explain.help')),
    form,
    out,
  );
}
