// Client-side routes over the History API; the server answers index.html for every one.

import { onSessionError } from './api/client';
import { activeProfile, forget, loadAccount, setActiveProfile } from './session';
import { h } from './ui/dom';
import { alertBox, toast } from './ui/errors';

export interface ScreenContext {
  params: Record<string, string>;
  query: URLSearchParams;
  /** Where the screen renders itself. */
  main: HTMLElement;
  /** Aborted when the viewer leaves the screen. */
  signal: AbortSignal;
}

export interface Screen {
  /** Called when the viewer leaves; stop timers, players, listeners. */
  destroy?(): void;
  /** Same route, new parameters (search as you type): true if the screen took it in place. */
  update?(context: ScreenContext): boolean;
}

export type ScreenFactory = (context: ScreenContext) => Promise<Screen | undefined> | Screen | undefined;

export interface RouteDef {
  pattern: string;
  load: () => Promise<ScreenFactory>;
  /** What must be true before the screen shows: nothing, a signed-in account, or a profile. */
  needs: 'none' | 'guest' | 'account' | 'profile';
  /** 'browse' screens share the top bar; 'bare' ones (sign-in, profiles, player) fill the page. */
  chrome: 'browse' | 'bare';
}

interface Match {
  route: RouteDef;
  params: Record<string, string>;
}

function compile(pattern: string): RegExp {
  const source = pattern
    .split('/')
    .map((part) => (part.startsWith(':') ? `(?<${part.slice(1)}>[^/]+)` : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`);
}

export class Router {
  private readonly compiled: { route: RouteDef; regex: RegExp }[];
  private current: { route: RouteDef; screen: Screen | undefined; controller: AbortController } | null =
    null;
  private generation = 0;

  constructor(
    routes: RouteDef[],
    private readonly main: HTMLElement,
    private readonly setChrome: (chrome: RouteDef['chrome']) => void,
  ) {
    this.compiled = routes.map((route) => ({ route, regex: compile(route.pattern) }));
  }

  start(): void {
    active = this;
    if (!history.state) history.replaceState({ flix: 0 }, '', location.href);
    window.addEventListener('popstate', () => void this.render());
    document.addEventListener('click', (event) => this.interceptLink(event));
    onSessionError((error) => {
      const here = location.pathname;
      if (here === '/login' || here === '/register') return;
      const next = encodeURIComponent(here + location.search);
      if (error.code === 'UNAUTHENTICATED') {
        forget();
        toast('Your session has ended. Please sign in again.');
        this.navigate(`/login?next=${next}`, { replace: true });
      } else if (error.code === 'PROFILE_REQUIRED' && here !== '/profiles') {
        setActiveProfile(null);
        this.navigate(`/profiles?next=${next}`, { replace: true });
      }
    });
    void this.render();
  }

  navigate(url: string, options: { replace?: boolean } = {}): void {
    // The state counts entries inside this app, so Back knows whether it would leave it.
    const depth = historyDepth();
    if (options.replace) history.replaceState({ flix: depth }, '', url);
    else history.pushState({ flix: depth + 1 }, '', url);
    void this.render();
  }

  private interceptLink(event: MouseEvent): void {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = (event.target as Element | null)?.closest?.('a[href]');
    if (!(link instanceof HTMLAnchorElement) || link.target || link.hasAttribute('download')) return;
    const url = new URL(link.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/graphql')) return;
    event.preventDefault();
    this.navigate(url.pathname + url.search);
  }

  private match(path: string): Match | null {
    for (const { route, regex } of this.compiled) {
      const found = regex.exec(path);
      if (found) {
        const params: Record<string, string> = {};
        for (const [key, value] of Object.entries(found.groups ?? {})) {
          params[key] = decodeURIComponent(value);
        }
        return { route, params };
      }
    }
    return null;
  }

  private async render(): Promise<void> {
    const generation = ++this.generation;
    const path = location.pathname;
    const query = new URLSearchParams(location.search);
    const found = this.match(path);
    if (!found) {
      this.teardown();
      this.setChrome('bare');
      this.main.replaceChildren(notFound());
      return;
    }
    // Same screen, new query (the search box): let it update in place.
    if (this.current?.route === found.route && this.current.screen?.update) {
      const context = { params: found.params, query, main: this.main, signal: this.current.controller.signal };
      if (this.current.screen.update(context)) return;
    }
    const redirect = await this.guard(found.route, path + location.search).catch((error: unknown) => {
      this.setChrome('bare');
      this.main.replaceChildren(h('div', { class: 'page-message' }, alertBox(error), retryButton()));
      return 'stop' as const;
    });
    if (generation !== this.generation) return;
    if (redirect === 'stop') return;
    if (redirect) {
      this.navigate(redirect, { replace: true });
      return;
    }
    this.teardown();
    this.setChrome(found.route.chrome);
    const controller = new AbortController();
    this.main.replaceChildren(h('div', { class: 'loading', role: 'status', 'aria-label': 'Loading' }, h('span', { class: 'spinner' })));
    this.main.setAttribute('aria-busy', 'true');
    const hadFocusInMain = this.main.contains(document.activeElement);
    try {
      const factory = await found.route.load();
      if (generation !== this.generation) return;
      const screen = await factory({ params: found.params, query, main: this.main, signal: controller.signal });
      if (generation !== this.generation) {
        screen?.destroy?.();
        return;
      }
      this.current = { route: found.route, screen, controller };
    } catch (error) {
      if (generation !== this.generation) return;
      this.current = { route: found.route, screen: undefined, controller };
      this.main.replaceChildren(h('div', { class: 'page-message' }, alertBox(error), retryButton()));
    } finally {
      this.main.removeAttribute('aria-busy');
    }
    this.moveFocus(hadFocusInMain);
    window.scrollTo({ top: 0 });
  }

  private moveFocus(hadFocusInMain: boolean): void {
    const active = document.activeElement;
    // A screen that focused something on purpose (an input, the player) keeps it.
    if (active && active !== document.body && this.main.contains(active) && !hadFocusInMain) return;
    if (active && active !== document.body && !this.main.contains(active) && active.closest('header')) return;
    const heading = this.main.querySelector<HTMLElement>('h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  }

  private teardown(): void {
    if (!this.current) return;
    this.current.controller.abort();
    try {
      this.current.screen?.destroy?.();
    } finally {
      this.current = null;
    }
  }

  /** Where to send the viewer instead, or null to show the screen. */
  private async guard(route: RouteDef, here: string): Promise<string | null> {
    if (route.needs === 'none') return null;
    const account = await loadAccount();
    const next = encodeURIComponent(here);
    if (route.needs === 'guest') {
      if (!account) return null;
      const wanted = new URLSearchParams(location.search).get('next');
      return account.activeProfile ? safeNext(wanted) ?? '/' : `/profiles${wanted ? `?next=${encodeURIComponent(wanted)}` : ''}`;
    }
    if (!account) return `/login?next=${next}`;
    if (route.needs === 'profile' && !activeProfile()) return `/profiles?next=${next}`;
    return null;
  }
}

let active: Router | null = null;

/** Go to an app URL (a path plus query), as a link click would. */
export function navigate(url: string, options: { replace?: boolean } = {}): void {
  if (active) active.navigate(url, options);
  else location.assign(url);
}

function historyDepth(): number {
  const state = history.state as { flix?: number } | null;
  return typeof state?.flix === 'number' ? state.flix : 0;
}

/** Back, if the previous entry is in this app; otherwise go to `fallback`. */
export function goBack(fallback: string): void {
  if (historyDepth() > 0) history.back();
  else navigate(fallback, { replace: true });
}

/** Only same-site paths: a `next` parameter must never send the viewer elsewhere. */
export function safeNext(next: string | null): string | null {
  if (!next?.startsWith('/') || next.startsWith('//')) return null;
  return next;
}

function retryButton(): HTMLElement {
  return h('button', { class: 'button button-secondary', type: 'button', on: { click: () => location.reload() } }, 'Try again');
}

function notFound(): HTMLElement {
  document.title = 'Not found · Flix';
  return h(
    'div',
    { class: 'page-message' },
    h('h1', null, 'Lost your way?'),
    h('p', null, 'We can’t find that page. You’ll find lots to explore on the home page.'),
    h('a', { class: 'button button-primary', href: '/' }, 'Flix Home'),
  );
}
