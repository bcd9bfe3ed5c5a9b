/**
 * Kubernetes: for a namespace and a workload, what happened to it (its events from the
 * eventrouter indices, Warnings highlighted) and the alerts raised about it.
 */
import { api, query, errorText } from '../api.ts';
import type { K8sEvent, K8sTimelineResponse, K8sWorkloadsResponse } from '../api-types.ts';
import { h, link, replace } from '../dom.ts';
import { t } from '../i18n.ts';
import type { Page } from '../page.ts';
import { formatTime, isoUtc, parseInputTime, timeEl } from '../time-format.ts';
import { alertCard } from './alert-card.ts';
import { tableHead } from './table-head.ts';

const BUCKETS = 48;

function histogram(events: K8sEvent[], from: number, to: number): HTMLElement {
  const size = (to - from) / BUCKETS;
  const counts = Array.from({ length: BUCKETS }, () => ({ normal: 0, warning: 0 }));
  for (const e of events) {
    const at = Date.parse(e.at);
    if (!Number.isFinite(at)) continue;
    const i = Math.min(BUCKETS - 1, Math.max(0, Math.floor((at - from) / size)));
    if (e.type === 'Warning') counts[i]!.warning++;
    else counts[i]!.normal++;
  }
  const most = Math.max(1, ...counts.map((c) => c.normal + c.warning));
  return h(
    'div',
    { class: 'histogram', role: 'img', 'aria-label': t('k8s.histogram') },
    counts.map((c, i) => {
      const col = h('span', {
        class: 'hcol',
        title: `${formatTime(from + i * size)}: ${c.warning} Warning, ${c.normal} Normal`,
      });
      const w = h('span', { class: 'hwarn' });
      const n = h('span', { class: 'hnormal' });
      w.style.height = `${(c.warning / most) * 100}%`;
      n.style.height = `${(c.normal / most) * 100}%`;
      col.append(n, w);
      return col;
    }),
  );
}

function eventsTable(events: K8sEvent[]): HTMLElement {
  if (!events.length) return h('p', { class: 'empty' }, t('k8s.noEvents'));
  return h(
    'table',
    { class: 'grid events' },
    tableHead([
      'k8s.col.time',
      'k8s.col.type',
      'k8s.col.reason',
      'k8s.col.object',
      'k8s.col.count',
      'k8s.col.message',
    ]),
    h(
      'tbody',
      null,
      events.map((e) =>
        h(
          'tr',
          { class: e.type === 'Warning' ? 'warning' : 'normal' },
          h('td', null, timeEl(e.at)),
          h('td', null, h('span', { class: `badge ${e.type === 'Warning' ? 'warn' : 'ok'}` }, e.type)),
          h('td', null, e.reason),
          h('td', { class: 'mono' }, `${e.kind}/${e.name}`),
          h('td', { class: 'num' }, e.count === null ? '' : String(e.count)),
          h(
            'td',
            { class: 'message' },
            e.message,
            e.source ? h('div', { class: 'muted small' }, e.source) : null,
          ),
        ),
      ),
    ),
  );
}

export const k8sPage: Page = async (root, ctx) => {
  const q = ctx.route.query;
  const now = Date.now();
  const fromIn = h('input', { name: 'from', value: q.get('from') ?? isoUtc(now - 86_400_000), size: 20 });
  const toIn = h('input', { name: 'to', value: q.get('to') ?? isoUtc(now), size: 20 });
  const nsSel = h(
    'select',
    { name: 'namespace', 'aria-label': t('k8s.namespace') },
    h('option', { value: '' }, t('common.loading')),
  );
  const wlSel = h(
    'select',
    { name: 'workload', 'aria-label': t('k8s.workload') },
    h('option', { value: '' }, '—'),
  );
  const out = h('div', { class: 'k8s-out' });
  const form = h(
    'form',
    { class: 'toolbar filters' },
    h('label', null, t('alerts.from'), fromIn),
    h('label', null, t('alerts.to'), toIn),
    h('label', null, t('k8s.namespace'), nsSel),
    h('label', null, t('k8s.workload'), wlSel),
    h('button', { type: 'submit', class: 'primary' }, t('k8s.show')),
  );
  replace(
    root,
    h('h1', null, t('nav.k8s')),
    h('p', { class: 'muted' }, t('k8s.help', { index: ctx.session.k8sIndex })),
    form,
    out,
  );

  const window = () => {
    const f = parseInputTime(fromIn.value);
    const to = parseInputTime(toIn.value);
    return f !== undefined && to !== undefined && f < to ? { from: f, to } : undefined;
  };
  let workloads: K8sWorkloadsResponse | undefined;
  const fillWorkloads = () => {
    const ns = workloads?.namespaces.find((n) => n.name === nsSel.value);
    replace(
      wlSel,
      h('option', { value: '' }, '—'),
      (ns?.workloads ?? []).map((w) =>
        h('option', { value: w.name }, `${w.name} (${w.kind}${w.warnings ? `, ${w.warnings} Warning` : ''})`),
      ),
    );
    wlSel.value = q.get('workload') ?? '';
  };
  nsSel.addEventListener('change', fillWorkloads);
  const loadWorkloads = async () => {
    const w = window();
    if (!w) return;
    workloads = await api<K8sWorkloadsResponse>(
      `/api/k8s/workloads${query({ from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString() })}`,
      { signal: ctx.signal },
    );
    replace(
      nsSel,
      h('option', { value: '' }, '—'),
      workloads.namespaces.map((n) => h('option', { value: n.name }, `${n.name} (${n.events})`)),
    );
    nsSel.value = q.get('ns') ?? '';
    fillWorkloads();
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.go(
      link(['k8s'], {
        ns: nsSel.value,
        workload: wlSel.value,
        from: fromIn.value.trim(),
        to: toIn.value.trim(),
      }),
    );
  });
  fromIn.addEventListener('change', () => void loadWorkloads().catch(() => {}));
  toIn.addEventListener('change', () => void loadWorkloads().catch(() => {}));

  const ns = q.get('ns');
  const workload = q.get('workload');
  const w = window();
  const timeline =
    ns && workload && w
      ? api<K8sTimelineResponse>(
          `/api/k8s/timeline${query({ namespace: ns, workload, from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString() })}`,
          { signal: ctx.signal },
        )
      : undefined;
  const workloadsLoaded = loadWorkloads().catch((err: unknown) =>
    replace(out, h('p', { class: 'error' }, errorText(err))),
  );
  if (!timeline || !w) {
    await workloadsLoaded;
    replace(out, h('p', { class: 'empty' }, t('k8s.choose')));
    performance.mark('esalert:content');
    return;
  }
  const r = await timeline;
  const warnings = r.events.filter((e) => e.type === 'Warning').length;
  replace(
    out,
    h('h2', null, `${r.namespace} / ${r.workload}`),
    h(
      'p',
      null,
      t('k8s.summary', { events: r.events.length, warnings, alerts: r.alerts.length }),
      r.truncated ? h('span', { class: 'badge warn' }, t('k8s.truncated')) : null,
    ),
    histogram(r.events, w.from, w.to),
    h(
      'section',
      { class: 'panel' },
      h('h3', null, t('k8s.alerts', { n: r.alerts.length })),
      r.alerts.length ? r.alerts.map((a) => alertCard(a)) : h('p', { class: 'empty' }, t('alerts.none')),
    ),
    h('section', { class: 'panel' }, h('h3', null, t('k8s.events')), eventsTable(r.events)),
  );
  performance.mark('esalert:content');
};
