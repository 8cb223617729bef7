import './styles.css';

import { flushPendingProgress } from './player/progress';
import { Router, type RouteDef } from './router';
import { loadAccount } from './session';
import { authScreen } from './screens/auth';
import { homeScreen } from './screens/home';
import { myListScreen } from './screens/mylist';
import { profilesScreen } from './screens/profiles';
import { searchScreen } from './screens/search';
import { titleScreen } from './screens/title';
import { h } from './ui/dom';
import { topBar } from './ui/topbar';

const routes: RouteDef[] = [
  { pattern: '/login', load: async () => authScreen('login'), needs: 'guest', chrome: 'bare' },
  { pattern: '/register', load: async () => authScreen('register'), needs: 'guest', chrome: 'bare' },
  { pattern: '/profiles', load: async () => profilesScreen, needs: 'account', chrome: 'bare' },
  { pattern: '/', load: async () => homeScreen, needs: 'profile', chrome: 'browse' },
  { pattern: '/browse', load: async () => homeScreen, needs: 'profile', chrome: 'browse' },
  { pattern: '/search', load: async () => searchScreen, needs: 'profile', chrome: 'browse' },
  { pattern: '/my-list', load: async () => myListScreen, needs: 'profile', chrome: 'browse' },
  { pattern: '/title/:id', load: async () => titleScreen, needs: 'profile', chrome: 'browse' },
  {
    pattern: '/watch/:id',
    // The player (and shaka-player with it) loads only when someone presses Play.
    load: async () => (await import('./screens/watch')).watchScreen,
    needs: 'profile',
    chrome: 'bare',
  },
];

const app = document.getElementById('app');
if (!app) throw new Error('index.html has no #app');

const bar = topBar();
const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
app.replaceChildren(bar.element, main);

const router = new Router(routes, main, (chrome) => {
  document.body.dataset['chrome'] = chrome;
  bar.element.hidden = chrome !== 'browse';
  bar.sync();
});
router.start();

// A progress update a network blip kept from the server last time is sent now.
loadAccount()
  .then(() => flushPendingProgress())
  .catch(() => undefined);
