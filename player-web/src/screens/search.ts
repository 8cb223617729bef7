// Search as you type: the top bar's box drives ?q=; results follow, newest query wins.

import { isAbort } from '../api/client';
import * as api from '../api/queries';
import type { ScreenContext, ScreenFactory } from '../router';
import { h } from '../ui/dom';
import { alertBox } from '../ui/errors';
import { enableRowKeys, grid } from '../ui/rows';

const DEBOUNCE_MS = 250;
const RESULTS = 40;

export const searchScreen: ScreenFactory = ({ main, query }) => {
  const heading = h('h1', { class: 'page-title' });
  const status = h('p', { class: 'search-status', role: 'status', 'aria-live': 'polite' });
  const results = h('div', { class: 'search-results' });
  const page = h('div', { class: 'page search-page' }, heading, status, results);
  main.replaceChildren(page);
  const stopKeys = enableRowKeys(page);

  let timer = 0;
  let inFlight: AbortController | null = null;
  let shown = '';

  const run = async (text: string) => {
    inFlight?.abort();
    const controller = new AbortController();
    inFlight = controller;
    page.setAttribute('aria-busy', 'true');
    try {
      const found = await api.search(text, RESULTS, { signal: controller.signal });
      if (controller.signal.aborted) return;
      shown = text;
      const videos = found.edges.map((edge) => edge.node);
      status.textContent = videos.length
        ? `${found.totalCount} title${found.totalCount === 1 ? '' : 's'} found`
        : '';
      results.replaceChildren(
        videos.length
          ? grid(`Results for ${text}`, videos)
          : h(
              'div',
              { class: 'search-empty' },
              h('p', null, `Your search for “${text}” did not have any matches.`),
              h('p', { class: 'muted' }, 'Try different keywords, or a film or series title.'),
            ),
      );
    } catch (error) {
      if (isAbort(error) || controller.signal.aborted) return;
      results.replaceChildren(alertBox(error));
    } finally {
      if (inFlight === controller) {
        inFlight = null;
        page.removeAttribute('aria-busy');
      }
    }
  };

  const apply = (params: URLSearchParams, immediate: boolean) => {
    const text = (params.get('q') ?? '').trim();
    document.title = text ? `“${text}” · Search · Flix` : 'Search · Flix';
    heading.textContent = text ? `Results for “${text}”` : 'Search';
    window.clearTimeout(timer);
    if (!text) {
      inFlight?.abort();
      shown = '';
      status.textContent = '';
      results.replaceChildren(h('p', { class: 'search-empty muted' }, 'Find films and series by title. Try “Toy Story”.'));
      return;
    }
    if (text === shown) return;
    if (immediate) void run(text);
    else timer = window.setTimeout(() => void run(text), DEBOUNCE_MS);
  };

  apply(query, true);
  return {
    update(context: ScreenContext) {
      apply(context.query, false);
      return true;
    },
    destroy() {
      window.clearTimeout(timer);
      inFlight?.abort();
      stopKeys();
    },
  };
};
