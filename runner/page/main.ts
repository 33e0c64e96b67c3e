/**
 * The seller's "Notifications & Integrations" page (spec R8, the seed's walk-through): sign-in with
 * the seller API key, the webhook list, the details page with Send test, Settings and
 * Notification History. Routes are real paths under /delivery (the runner serves the same shell
 * for each), so reload, back/forward and links work.
 */
import { renderAllHistory } from './allHistory.js';
import { session, onUnauthorized } from './api.js';
import { renderDetails } from './details.js';
import { h, replaceChildren } from './dom.js';
import { renderList } from './list.js';
import { renderSignIn } from './signin.js';
import type { ViewContext } from './view.js';

export const BASE = '/delivery';
const HISTORY = `${BASE}/history`;

const app = document.getElementById('app') as HTMLElement;
const toasts = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
let generation = 0;
let firstRender = true;
let previousPath: string | null = null;

function toast(message: string, kind: 'success' | 'error' | 'info' = 'success'): void {
  const item = h('div', { class: `toast toast-${kind}` }, message);
  toasts.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  void route();
}

function signOut(message?: string): void {
  session.signOut();
  navigate(BASE, { replace: true });
  if (message) toast(message, 'info');
}

function shell(main: HTMLElement): HTMLElement[] {
  const signOutButton = h(
    'button',
    { type: 'button', class: 'button button-ghost button-small', onclick: () => signOut() },
    'Sign out',
  );
  return [
    h('a', { class: 'skip-link', href: '#main' }, 'Skip to content'),
    h(
      'header',
      { class: 'topbar' },
      h(
        'a',
        { class: 'brand', href: BASE, 'data-link': '' },
        h('span', { class: 'logo', 'aria-hidden': 'true' }, 'TP'),
        h('span', null, 'Top Provider', h('span', { class: 'brand-sub' }, 'Seller Portal')),
      ),
      signOutButton,
    ),
    h(
      'div',
      { class: 'layout' },
      h(
        'nav',
        { class: 'sidebar', 'aria-label': 'Seller Portal' },
        h(
          'ul',
          null,
          h('li', null, h('a', { href: BASE, 'data-link': '' }, 'Notifications & Integrations')),
          h('li', null, h('a', { href: HISTORY, 'data-link': '' }, 'Delivery history')),
        ),
      ),
      main,
    ),
  ];
}

/** The sidebar link of the section shown is the current page: the history, or the webhooks. */
function markCurrentSection(path: string): void {
  for (const link of app.querySelectorAll<HTMLAnchorElement>('.sidebar a')) {
    const current = link.pathname === HISTORY ? path === HISTORY : path !== HISTORY;
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

async function route(): Promise<void> {
  generation += 1;
  const mine = generation;
  const focusHeading = !firstRender;
  firstRender = false;

  if (!session.key()) {
    const main = h('main', { id: 'main', class: 'signin-main', tabindex: '-1' });
    replaceChildren(app, main, toasts);
    document.title = 'Sign in · Notifications & Integrations';
    renderSignIn(main, () => navigate(location.pathname, { replace: true }));
    return;
  }

  let main = app.querySelector<HTMLElement>('main.content');
  if (!main) {
    main = h('main', { id: 'main', class: 'content', tabindex: '-1' });
    replaceChildren(app, ...shell(main), toasts);
  }
  const ctx: ViewContext = {
    main,
    navigate,
    toast,
    current: () => mine === generation,
    setTitle: (title) => {
      document.title = `${title} · Notifications & Integrations`;
    },
    focusHeading,
    previousPath,
  };

  const path = location.pathname.replace(/\/+$/, '') || '/';
  previousPath = path;
  const details = /^\/delivery\/webhooks\/([^/]+)(\/history)?$/.exec(path);
  markCurrentSection(path);
  if (path === BASE) await renderList(ctx);
  else if (path === HISTORY) await renderAllHistory(ctx);
  else if (details) {
    await renderDetails(ctx, decodeURIComponent(details[1]), details[2] ? 'history' : 'overview');
  } else {
    ctx.setTitle('Not found');
    replaceChildren(
      main,
      h('h1', { tabindex: '-1' }, 'Page not found'),
      h('p', null, h('a', { href: BASE, 'data-link': '' }, 'Back to Notifications & Integrations')),
    );
  }
}

// Same-origin links marked data-link navigate in place; modified clicks open tabs as usual.
document.addEventListener('click', (event) => {
  const link = (event.target as Element | null)?.closest?.('a[data-link]');
  if (!(link instanceof HTMLAnchorElement)) return;
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  if (link.pathname !== location.pathname) navigate(link.pathname);
});

window.addEventListener('popstate', () => void route());

onUnauthorized(() => {
  // Calls in flight together (the list and its alert settings) are refused together: the first
  // signs out, with one note; the others find the session gone.
  if (!session.key()) return;
  signOut('Your API key was not accepted any more. Please sign in again.');
});

void route();
