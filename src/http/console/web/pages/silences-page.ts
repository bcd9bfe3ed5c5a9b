/** Silences: set one for any rule (or one query_key value of it), list them, lift them. */
import { api } from '../api.ts';
import type { RulesResponse } from '../api-types.ts';
import { h, replace } from '../dom.ts';
import { t } from '../i18n.ts';
import type { Page } from '../page.ts';
import { silencesSection } from './silences-view.ts';

export const silencesPage: Page = async (root, ctx) => {
  replace(root, h('h1', null, t('nav.silences')), h('p', { class: 'muted' }, t('common.loading')));
  const rules = await api<RulesResponse>('/api/rules', { signal: ctx.signal });
  replace(
    root,
    h('h1', null, t('nav.silences')),
    h('p', { class: 'muted' }, t('silences.help')),
    silencesSection({
      session: ctx.session,
      rules: rules.rules.map((r) => r.name),
      ...(ctx.route.query.get('rule') ? { rule: ctx.route.query.get('rule')! } : {}),
      signal: ctx.signal,
    }),
  );
  performance.mark('esalert:content');
};
