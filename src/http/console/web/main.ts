/**
 * The console's shell: the header (pages, time zone, language, sign-in), the hash router, and
 * the error shown when a page cannot load. Each page is a module under pages/.
 */
import { ApiFailure, credentials, errorText, getSession, prefetch, setCredentials } from './api.ts';
import type { SessionInfo } from './api-types.ts';
import { h, link, replace } from './dom.ts';
import { language, type Language, LANGUAGES, setLanguage, t } from './i18n.ts';
import { type Page, type PageContext, parseRoute, type Route } from './page.ts';
import { setConfiguredZone, setZone, zone, zones } from './time-format.ts';

interface PageEntry {
  /** The page's module, loaded when it is first shown. */
  load(): Promise<Page>;
  nav: 'rules' | 'alerts' | 'silences' | 'k8s';
  /** What the page reads first, requested while its module and the session load. */
  data?(route: Route): string[];
}

const PAGES: Record<string, PageEntry> = {
  rules: {
    load: () => import('./pages/rules-page.ts').then((m) => m.rulesPage),
    nav: 'rules',
    data: () => ['/api/rules'],
  },
  rule: {
    load: () => import('./pages/rule-page.ts').then((m) => m.rulePage),
    nav: 'rules',
    data: (r) => [`/api/rules/${encodeURIComponent(r.path[1] ?? '')}`],
  },
  alerts: { load: () => import('./pages/alerts-page.ts').then((m) => m.alertsPage), nav: 'alerts' },
  silences: {
    load: () => import('./pages/silences-page.ts').then((m) => m.silencesPage),
    nav: 'silences',
    data: () => ['/api/rules'],
  },
  k8s: { load: () => import('./pages/k8s-page.ts').then((m) => m.k8sPage), nav: 'k8s' },
};

const entryOf = (route: Route): PageEntry => PAGES[route.path[0] ?? 'rules'] ?? PAGES.rules!;

// the page's frame is in the HTML already (painted before any script runs); this fills it
const app = document.getElementById('app')!;
const main = h('main', { id: 'page' });
const header = document.querySelector<HTMLElement>('header.top') ?? h('header', { class: 'top' });
app.replaceChildren(header, main);

let session: SessionInfo | undefined;
let current: { controller: AbortController; cleanup?: (() => void) | void } | undefined;

function signInDialog(): HTMLDialogElement {
  const token = h('input', {
    type: 'password',
    name: 'token',
    autocomplete: 'off',
    placeholder: t('auth.token'),
  });
  const user = h('input', { name: 'user', autocomplete: 'username', placeholder: t('auth.user') });
  const password = h('input', {
    type: 'password',
    name: 'password',
    autocomplete: 'current-password',
    placeholder: t('auth.password'),
  });
  const status = h('p', { class: 'form-status', role: 'status' });
  const cancel = h('button', { type: 'button' }, t('common.cancel'));
  const form = h(
    'form',
    { method: 'dialog', class: 'signin' },
    h('h2', null, t('auth.signIn')),
    h('p', { class: 'muted small' }, t('auth.help')),
    h('label', null, t('auth.token'), token),
    h('p', { class: 'muted small center' }, t('auth.or')),
    h('label', null, t('auth.user'), user),
    h('label', null, t('auth.password'), password),
    status,
    h(
      'div',
      { class: 'form-row end' },
      cancel,
      h('button', { type: 'submit', class: 'primary' }, t('auth.signIn')),
    ),
  );
  const dialog = h('dialog', { class: 'signin-dialog' }, form);
  cancel.addEventListener('click', () => dialog.close());
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const c = token.value
      ? ({ kind: 'bearer', token: token.value } as const)
      : ({ kind: 'basic', user: user.value, password: password.value } as const);
    status.textContent = t('common.loading');
    getSession(c).then(
      (s) => {
        setCredentials(c);
        session = s;
        dialog.close();
        dialog.remove();
        renderHeader();
        void render();
      },
      (err: unknown) => {
        status.className = 'form-status error';
        status.textContent =
          err instanceof ApiFailure && err.status === 401 ? t('auth.wrong') : errorText(err);
      },
    );
  });
  return dialog;
}

function renderHeader(): void {
  const route = parseRoute(location.hash);
  const active = PAGES[route.path[0] ?? 'rules']?.nav ?? 'rules';
  const nav = (['rules', 'alerts', 'silences', 'k8s'] as const).map((p) =>
    h(
      'a',
      {
        href: link([p]),
        class: p === active ? 'active' : null,
        'aria-current': p === active ? 'page' : null,
      },
      t(`nav.${p}`),
    ),
  );
  const tz = h(
    'select',
    { id: 'tz', 'aria-label': t('header.timezone'), title: t('header.timezoneTitle') },
    h('option', { value: zone() }, zone()),
  );
  let filled = false;
  const fill = () => {
    if (filled) return;
    filled = true;
    const cur = zone();
    replace(
      tz,
      zones().map((z) => h('option', { value: z, selected: z === cur }, z)),
    );
  };
  tz.addEventListener('focus', fill);
  tz.addEventListener('pointerdown', fill);
  tz.addEventListener('change', () => {
    setZone(tz.value);
    void render();
  });
  const lang = h(
    'select',
    { id: 'lang', 'aria-label': t('header.language') },
    LANGUAGES.map((l) => h('option', { value: l.code, selected: l.code === language() }, l.label)),
  );
  lang.addEventListener('change', () => {
    setLanguage(lang.value as Language);
    renderHeader();
    void render();
  });
  let who: Node;
  if (session?.user) {
    const out = h('button', { type: 'button', class: 'link', id: 'sign-out' }, t('auth.signOut'));
    out.addEventListener('click', () => {
      setCredentials(undefined);
      void start();
    });
    who = h(
      'span',
      { class: 'who' },
      h(
        'span',
        { class: `badge ${session.write ? 'write' : 'read'}`, id: 'who' },
        `${session.user} · ${session.write ? t('auth.canWrite') : t('auth.readOnly')}`,
      ),
      ' ',
      out,
    );
  } else if (session?.authConfigured) {
    const b = h('button', { type: 'button', id: 'sign-in' }, t('auth.signIn'));
    b.addEventListener('click', () => {
      const d = signInDialog();
      document.body.append(d);
      d.showModal();
    });
    who = b;
  } else {
    who = h('span', { class: 'badge read', title: t('auth.notConfigured'), id: 'who' }, t('auth.readOnly'));
  }
  replace(
    header,
    h('a', { class: 'brand', href: link(['rules']) }, 'esalert'),
    h('nav', { 'aria-label': t('header.pages') }, nav),
    h('div', { class: 'tools' }, h('label', { class: 'tool' }, tz), h('label', { class: 'tool' }, lang), who),
  );
}

const failure = (err: unknown) =>
  h(
    'div',
    { class: 'panel error-panel' },
    h('strong', null, t('common.failed')),
    h('p', null, errorText(err)),
  );

async function render(): Promise<void> {
  if (current) {
    current.controller.abort();
    if (typeof current.cleanup === 'function') current.cleanup();
  }
  const controller = new AbortController();
  current = { controller };
  const route = parseRoute(location.hash);
  const entry = entryOf(route);
  document.title = `${t(`nav.${entry.nav}`)} · esalert`;
  const root = h('div', { class: `page page-${route.path[0] ?? 'rules'}` });
  main.replaceChildren(root);
  if (!session) return;
  if (!session.read) {
    replace(root, h('p', { class: 'notice' }, t('auth.needSignIn')));
    return;
  }
  const ctx: PageContext = {
    route,
    session,
    signal: controller.signal,
    go: (hash) => {
      if (location.hash === hash) void render();
      else location.hash = hash;
    },
  };
  try {
    const page = await entry.load();
    if (controller.signal.aborted) return;
    const cleanup = await page(root, ctx);
    if (current?.controller === controller) current.cleanup = cleanup;
    else if (typeof cleanup === 'function') cleanup();
  } catch (err) {
    if (controller.signal.aborted) return;
    replace(root, failure(err));
  }
}

async function start(): Promise<void> {
  renderHeader();
  const route = parseRoute(location.hash);
  const entry = entryOf(route);
  // the session, the page's module and its first data, all at once
  const sessionAnswer = getSession();
  for (const path of entry.data?.(route) ?? []) prefetch(path);
  void entry.load().catch(() => {});
  try {
    session = await sessionAnswer;
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 401 && credentials()) {
      // stored credentials no longer valid: continue without them
      setCredentials(undefined);
      session = await getSession().catch(() => undefined);
    } else {
      replace(main, failure(err));
      return;
    }
  }
  setConfiguredZone(session?.timezone ?? null);
  renderHeader();
  await render();
}

window.addEventListener('hashchange', () => {
  const route = parseRoute(location.hash);
  for (const path of entryOf(route).data?.(route) ?? []) prefetch(path);
  renderHeader();
  void render();
});
document.documentElement.lang = language();
void start();
