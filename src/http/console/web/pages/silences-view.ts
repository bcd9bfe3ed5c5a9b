/**
 * Silences: the form that sets one (a rule, optionally one query_key value, how long, why) and
 * the list with a Lift button for each. Both need write access; without it the form says how to
 * get it and the buttons are not shown.
 */
import { api, errorText, query } from '../api.ts';
import type { SessionInfo, SilenceRow, SilencesResponse } from '../api-types.ts';
import { h, link, replace } from '../dom.ts';
import { t } from '../i18n.ts';
import { relative, timeEl } from '../time-format.ts';
import { ruleNameInput } from './rule-names.ts';
import { tableHead } from './table-head.ts';

const DURATIONS = ['30m', '1h', '4h', '12h', '1d', '3d', '1w'];

export function writeHint(session: SessionInfo): string | null {
  if (session.write) return null;
  if (session.readOnlyReason) return session.readOnlyReason;
  if (!session.authConfigured) return t('auth.notConfigured');
  return session.user ? t('auth.readOnlyUser', { user: session.user }) : t('auth.signInToWrite');
}

export function silenceForm(o: { session: SessionInfo; rule?: string; onDone(): void }): HTMLElement {
  const hint = writeHint(o.session);
  const disabled = hint !== null;
  const listId = `durations-${Math.random().toString(36).slice(2)}`;
  const [rule, ruleList] = ruleNameInput({
    name: 'rule',
    required: true,
    value: o.rule ?? '',
    placeholder: t('silences.rulePlaceholder'),
    disabled,
  });
  const qk = h('input', {
    name: 'queryKey',
    placeholder: t('silences.queryKeyPlaceholder'),
    disabled,
    autocomplete: 'off',
  });
  const duration = h('input', {
    name: 'duration',
    required: true,
    value: '4h',
    list: listId,
    disabled,
    size: 6,
  });
  const reason = h('input', {
    name: 'reason',
    required: true,
    placeholder: t('silences.reasonPlaceholder'),
    disabled,
    maxlength: 500,
  });
  const status = h('p', { class: 'form-status', role: 'status' });
  const form = h(
    'form',
    { class: 'silence-form panel', 'aria-label': t('silences.create') },
    h('h2', null, t('silences.create')),
    hint ? h('p', { class: 'notice' }, hint) : null,
    ruleList,
    h(
      'datalist',
      { id: listId },
      DURATIONS.map((d) => h('option', { value: d })),
    ),
    h(
      'div',
      { class: 'form-row' },
      h('label', null, t('silences.rule'), rule),
      h('label', null, t('silences.queryKey'), qk),
      h('label', null, t('silences.duration'), duration),
      h('label', { class: 'grow' }, t('silences.reason'), reason),
      h('button', { type: 'submit', disabled, class: 'primary' }, t('silences.submit')),
    ),
    status,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    status.className = 'form-status';
    status.textContent = t('common.saving');
    api<SilenceRow>('/api/silences', {
      method: 'POST',
      body: {
        rule: rule.value.trim(),
        duration: duration.value.trim(),
        reason: reason.value.trim(),
        ...(qk.value.trim() ? { queryKey: qk.value.trim() } : {}),
      },
    }).then(
      (s) => {
        status.textContent = t('silences.created', { key: s.key, until: s.until });
        reason.value = '';
        o.onDone();
      },
      (err: unknown) => {
        status.className = 'form-status error';
        status.textContent = errorText(err);
      },
    );
  });
  return form;
}

export function silencesTable(o: {
  session: SessionInfo;
  silences: SilenceRow[];
  showRule: boolean;
  onLifted(): void;
}): HTMLElement {
  if (!o.silences.length) return h('p', { class: 'empty' }, t('silences.none'));
  const status = h('p', { class: 'form-status', role: 'status' });
  const cols = [
    ...(o.showRule ? ['silences.rule' as const] : []),
    'silences.queryKey' as const,
    'silences.until' as const,
    'silences.kindCol' as const,
    'silences.author' as const,
    'silences.reason' as const,
    'silences.setAt' as const,
  ];
  return h(
    'div',
    null,
    status,
    h(
      'table',
      { class: 'grid silences' },
      tableHead([...cols, '']),
      h(
        'tbody',
        null,
        o.silences.map((s) => {
          const lift = h('button', { type: 'button', class: 'lift', 'data-id': s.id }, t('silences.lift'));
          lift.addEventListener('click', () => {
            lift.disabled = true;
            status.className = 'form-status';
            status.textContent = t('common.saving');
            api(`/api/silences/${encodeURIComponent(s.id)}`, { method: 'DELETE' }).then(
              () => {
                status.textContent = t('silences.lifted', { key: s.key });
                o.onLifted();
              },
              (err: unknown) => {
                lift.disabled = false;
                status.className = 'form-status error';
                status.textContent = errorText(err);
              },
            );
          });
          return h(
            'tr',
            { class: s.active ? '' : 'ended', 'data-key': s.key },
            o.showRule
              ? h(
                  'td',
                  null,
                  s.rule
                    ? h('a', { href: link(['rule', s.rule]) }, s.rule)
                    : h('span', { class: 'mono' }, s.key),
                )
              : null,
            h('td', { class: 'mono' }, s.queryKey ?? h('span', { class: 'muted' }, t('silences.wholeRule'))),
            h('td', null, timeEl(s.until), ' ', h('span', { class: 'muted small' }, relative(s.until))),
            h('td', null, h('span', { class: `badge ${s.kind}` }, t(`silences.kind.${s.kind}`))),
            h('td', null, s.author ?? '—'),
            h('td', { class: 'reason' }, s.reason ?? ''),
            h('td', null, timeEl(s.at)),
            h('td', null, o.session.write && s.active ? lift : null),
          );
        }),
      ),
    ),
  );
}

export async function loadSilences(
  o: { all: boolean; rule?: string },
  signal: AbortSignal,
): Promise<SilenceRow[]> {
  const r = await api<SilencesResponse>(
    `/api/silences${query({ all: o.all ? 'true' : undefined, rule: o.rule })}`,
    { signal },
  );
  return r.silences;
}

/** A section that reloads its list after each change. */
export function silencesSection(o: {
  session: SessionInfo;
  rule?: string;
  signal: AbortSignal;
  all?: boolean;
  /** Called each time the list is shown. */
  onLoaded?(): void;
}): HTMLElement {
  const list = h('div', { class: 'silences-list' }, t('common.loading'));
  const all = h('input', { type: 'checkbox', checked: o.all ?? false });
  const kind = h(
    'select',
    { 'aria-label': t('silences.kindFilter') },
    h('option', { value: '' }, t('silences.kindAll')),
    h('option', { value: 'manual' }, t('silences.kind.manual')),
    h('option', { value: 'realert' }, t('silences.kind.realert')),
  );
  const load = () => {
    loadSilences({ all: all.checked, ...(o.rule ? { rule: o.rule } : {}) }, o.signal).then(
      (found) => {
        // what people set comes first: realert sets one per alerted key, and they are many
        const silences = found
          .filter((s) => !kind.value || s.kind === kind.value)
          .sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'manual' ? -1 : 1));
        replace(list, silencesTable({ session: o.session, silences, showRule: !o.rule, onLifted: load }));
        o.onLoaded?.();
      },
      (err: unknown) => replace(list, h('p', { class: 'error' }, errorText(err))),
    );
  };
  all.addEventListener('change', load);
  kind.addEventListener('change', load);
  load();
  return h(
    'div',
    { class: 'silences-section' },
    silenceForm({ session: o.session, ...(o.rule ? { rule: o.rule } : {}), onDone: load }),
    h(
      'div',
      { class: 'toolbar' },
      h('label', null, t('silences.kindFilter'), kind),
      h('label', { class: 'inline' }, all, ' ', t('silences.includeEnded')),
    ),
    list,
  );
}
