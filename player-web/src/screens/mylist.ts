import * as api from '../api/queries';
import type { ScreenFactory } from '../router';
import { h } from '../ui/dom';
import { enableRowKeys, grid } from '../ui/rows';

export const myListScreen: ScreenFactory = async ({ main }) => {
  document.title = 'My List · Flix';
  const list = await api.myList(100);
  const videos = list.edges.map((edge) => edge.node);
  const page = h(
    'div',
    { class: 'page' },
    h('h1', { class: 'page-title' }, 'My List'),
    videos.length
      ? grid('My List', videos)
      : h(
          'div',
          { class: 'search-empty' },
          h('p', null, 'You haven’t added any titles to your list yet.'),
          h('p', { class: 'muted' }, 'Press + on a title to keep it here for later.'),
        ),
  );
  main.replaceChildren(page);
  return { destroy: enableRowKeys(page) };
};
