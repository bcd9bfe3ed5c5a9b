/** Silences: set one for any rule (or one query_key value of it), list them, lift them. */
import { h, replace } from '../dom.ts';
import { t } from '../i18n.ts';
import type { Page } from '../page.ts';
import { silencesSection } from './silences-view.ts';

export const silencesPage: Page = (root, ctx) => {
  let marked = false;
  replace(
    root,
    h('h1', null, t('nav.silences')),
    h('p', { class: 'muted' }, t('silences.help')),
    silencesSection({
      session: ctx.session,
      ...(ctx.route.query.get('rule') ? { rule: ctx.route.query.get('rule')! } : {}),
      signal: ctx.signal,
      onLoaded: () => {
        if (!marked) performance.mark('esalert:content');
        marked = true;
      },
    }),
  );
};
