// The bar over every browse screen: logo, navigation, search as you type, the profile menu.

import * as api from '../api/queries';
import type { Profile } from '../api/types';
import { navigate } from '../router';
import { activeProfile, currentAccount, forget, onSessionChange, setActiveProfile } from '../session';
import { avatar } from './avatar';
import { h, icon } from './dom';
import { toastError } from './errors';
import { enterProfile } from './unlock';

export interface TopBar {
  element: HTMLElement;
  /** Reflect the current URL (active link, the search box's text). */
  sync(): void;
}

export function topBar(): TopBar {
  const input = h('input', {
    id: 'search-input',
    class: 'search-input',
    type: 'search',
    name: 'q',
    placeholder: 'Titles, people, genres',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-label': 'Search titles',
    maxLength: 200,
  });
  const searchForm = h(
    'form',
    { class: 'search', role: 'search', on: { submit: (event) => event.preventDefault() } },
    h('label', { class: 'search-icon', for: 'search-input' }, icon('search', 'Search')),
    input,
  );
  input.addEventListener('input', () => {
    const query = input.value;
    const onSearch = location.pathname === '/search';
    if (query.trim()) navigate(`/search?q=${encodeURIComponent(query)}`, { replace: onSearch });
    else if (onSearch) navigate('/search', { replace: true });
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && input.value) {
      input.value = '';
      input.dispatchEvent(new Event('input'));
    } else if (event.key === 'ArrowDown') {
      // Into the results, for keyboard users.
      const first = document.querySelector<HTMLElement>('#main .grid-list a[tabindex="0"]');
      if (first) {
        event.preventDefault();
        first.focus();
      }
    }
  });

  const links = [
    h('a', { class: 'nav-link', href: '/' }, 'Home'),
    h('a', { class: 'nav-link', href: '/my-list' }, 'My List'),
  ];
  const nav = h('nav', { class: 'nav', 'aria-label': 'Primary' }, links);
  const menuHost = h('div', { class: 'profile-menu' });
  const element = h(
    'header',
    { class: 'topbar' },
    h('a', { class: 'logo', href: '/', 'aria-label': 'Flix home' }, 'FLIX'),
    nav,
    h('div', { class: 'topbar-right' }, searchForm, menuHost),
  );

  const renderMenu = () => menuHost.replaceChildren(...profileMenu());
  onSessionChange(renderMenu);
  renderMenu();

  // Solid once the page scrolls past the hero, transparent over it.
  const onScroll = () => element.classList.toggle('topbar-solid', window.scrollY > 40);
  window.addEventListener('scroll', onScroll, { passive: true });
  onScroll();

  return {
    element,
    sync() {
      const path = location.pathname;
      for (const link of links) {
        const current = new URL(link.href).pathname === path;
        if (current) link.setAttribute('aria-current', 'page');
        else link.removeAttribute('aria-current');
      }
      if (path === '/search') {
        const query = new URLSearchParams(location.search).get('q') ?? '';
        if (input.value !== query) input.value = query;
      } else input.value = '';
      element.classList.toggle('topbar-kids', Boolean(activeProfile()?.isKids));
      onScroll();
    },
  };
}

function profileMenu(): HTMLElement[] {
  const account = currentAccount();
  const profile = account?.activeProfile;
  if (!account || !profile) return [];
  const menuId = 'profile-menu-list';
  const button = h(
    'button',
    {
      class: 'profile-button',
      type: 'button',
      'aria-haspopup': 'menu',
      'aria-expanded': 'false',
      'aria-controls': menuId,
      'aria-label': `Profile: ${profile.name}. Open the profile menu`,
    },
    avatar(profile, 'small'),
  );
  const items: HTMLElement[] = [];
  const item = (label: HTMLElement | string, action: () => void, extra: HTMLElement | null = null) => {
    const entry = h('button', { class: 'menu-item', type: 'button', role: 'menuitem', tabindex: '-1', on: { click: () => { close(); action(); } } }, extra, label);
    items.push(entry);
    return entry;
  };
  const others = account.profiles.filter((other) => other.id !== profile.id);
  const menu = h(
    'div',
    { class: 'menu', id: menuId, role: 'menu', 'aria-label': 'Profile menu', hidden: true },
    others.map((other) =>
      item(
        h('span', null, other.name),
        () => void switchProfile(other),
        avatar(other, 'small'),
      ),
    ),
    item('Manage profiles', () => navigate('/profiles?manage=1')),
    item('Switch profile', () => navigate('/profiles')),
    h('hr', { class: 'menu-separator', 'aria-hidden': 'true' }),
    item(`Sign out of Flix`, () => void signOut()),
  );
  const open = () => {
    menu.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    items[0]?.focus();
    document.addEventListener('pointerdown', outside, true);
  };
  const close = (refocus = false) => {
    menu.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', outside, true);
    if (refocus) button.focus();
  };
  const outside = (event: Event) => {
    if (!menu.contains(event.target as Node) && !button.contains(event.target as Node)) close();
  };
  button.addEventListener('click', () => (menu.hidden ? open() : close()));
  menu.addEventListener('keydown', (event) => {
    const index = items.indexOf(document.activeElement as HTMLElement);
    if (event.key === 'Escape') close(true);
    else if (event.key === 'ArrowDown') items[(index + 1) % items.length]?.focus();
    else if (event.key === 'ArrowUp') items[(index - 1 + items.length) % items.length]?.focus();
    else if (event.key === 'Tab') close();
    else return;
    event.preventDefault();
  });
  return [button, menu];
}

async function switchProfile(profile: Profile): Promise<void> {
  try {
    const entered = await enterProfile(profile);
    if (!entered) return; // the PIN or password prompt was cancelled
    setActiveProfile(entered);
    navigate('/');
  } catch (error) {
    toastError(error);
  }
}

async function signOut(): Promise<void> {
  try {
    await api.logout();
  } catch (error) {
    toastError(error);
    return;
  }
  forget();
  navigate('/login');
}
