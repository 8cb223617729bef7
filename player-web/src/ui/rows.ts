// Poster cards and the horizontal rows that hold them, navigable with the arrow keys.
//
// Each row is one tab stop (a roving tabindex): Left/Right move within it, Up/Down move to
// the neighbouring row, Home/End jump to its ends, Enter opens the title.

import type { ContinueWatchingItem, RowKind, VideoCard } from '../api/types';
import { artwork, displayTitle } from './art';
import { h, icon } from './dom';

export function progressBar(percent: number, label: string): HTMLElement {
  const value = Math.max(0, Math.min(100, percent));
  return h(
    'div',
    {
      class: 'progress',
      role: 'progressbar',
      'aria-label': label,
      'aria-valuemin': '0',
      'aria-valuemax': '100',
      'aria-valuenow': String(Math.round(value)),
    },
    h('div', { class: 'progress-fill', style: { width: `${value}%` } }),
  );
}

function cardMeta(video: VideoCard): HTMLElement {
  return h(
    'div',
    { class: 'card-meta', 'aria-hidden': 'true' },
    h('span', { class: 'card-title' }, displayTitle(video.title)),
    h(
      'span',
      { class: 'card-facts' },
      h('span', { class: 'badge' }, video.rating),
      video.releaseYear ? h('span', null, String(video.releaseYear)) : null,
      video.type === 'SERIES' ? h('span', null, 'Series') : null,
    ),
  );
}

export function posterCard(video: VideoCard, options: { rank?: number } = {}): HTMLLIElement {
  const percent = video.progress?.percentComplete ?? null;
  const label = [
    displayTitle(video.title),
    `rated ${video.rating}`,
    video.releaseYear ? String(video.releaseYear) : '',
    options.rank ? `number ${options.rank} today` : '',
    percent !== null ? `${Math.round(percent)}% watched` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const link = h(
    'a',
    {
      class: options.rank ? 'card card-ranked' : 'card',
      href: `/title/${encodeURIComponent(video.id)}`,
      'aria-label': label,
      dataset: { videoId: video.id, maturity: String(video.maturityLevel), title: video.title },
    },
    options.rank ? h('span', { class: 'rank', 'aria-hidden': 'true' }, String(options.rank)) : null,
    h(
      'div',
      { class: 'card-frame' },
      artwork(video, 'poster'),
      cardMeta(video),
      percent !== null && percent > 0 ? progressBar(percent, 'Watched') : null,
    ),
  );
  return h('li', { class: 'card-item' }, link);
}

export function continueCard(item: ContinueWatchingItem): HTMLLIElement {
  const video = item.video;
  const episode = item.episode;
  const subtitle = episode ? `E${episode.episodeNumber} · ${episode.title}` : remaining(item);
  const href = episode
    ? `/watch/${encodeURIComponent(video.id)}?episode=${encodeURIComponent(episode.id)}`
    : `/watch/${encodeURIComponent(video.id)}`;
  const link = h(
    'a',
    {
      class: 'card card-wide',
      href,
      'aria-label': `Continue ${displayTitle(video.title)}${episode ? `, episode ${episode.episodeNumber}, ${episode.title}` : ''}, ${Math.round(item.percentComplete)}% watched`,
      dataset: { videoId: video.id, maturity: String(video.maturityLevel), title: video.title },
    },
    h(
      'div',
      { class: 'card-frame' },
      artwork(video, 'backdrop'),
      h('span', { class: 'card-play', 'aria-hidden': 'true' }, icon('play')),
      progressBar(item.percentComplete, 'Watched'),
    ),
    h(
      'div',
      { class: 'card-caption', 'aria-hidden': 'true' },
      h('span', { class: 'card-title' }, displayTitle(video.title)),
      h('span', { class: 'card-sub' }, subtitle),
    ),
  );
  return h('li', { class: 'card-item card-item-wide' }, link);
}

function remaining(item: ContinueWatchingItem): string {
  const left = Math.max(0, item.durationSeconds - item.positionSeconds);
  const minutes = Math.round(left / 60);
  return minutes >= 1 ? `${minutes} min left` : 'Almost done';
}

/** A titled, horizontally scrolling row of cards. */
export function row(
  id: string,
  title: string,
  cards: HTMLLIElement[],
  options: { kind?: RowKind } = {},
): HTMLElement {
  const headingId = `row-${id.replace(/[^a-zA-Z0-9_-]/g, '-')}`;
  const list = h('ul', { class: 'row-list', role: 'list', 'aria-labelledby': headingId });
  list.append(...cards);
  const scroller = h('div', { class: 'row-scroller' }, list);
  const scrollBy = (direction: number) => () =>
    scroller.scrollBy({ left: direction * scroller.clientWidth * 0.85, behavior: 'smooth' });
  const section = h(
    'section',
    { class: 'row', dataset: { row: id, kind: options.kind ?? '' }, 'aria-labelledby': headingId },
    h('h2', { class: 'row-title', id: headingId }, title),
    h(
      'div',
      { class: 'row-viewport' },
      h(
        'button',
        { class: 'row-arrow row-arrow-left', type: 'button', tabindex: '-1', 'aria-label': `Scroll ${title} left`, on: { click: scrollBy(-1) } },
        icon('chevronLeft'),
      ),
      scroller,
      h(
        'button',
        { class: 'row-arrow row-arrow-right', type: 'button', tabindex: '-1', 'aria-label': `Scroll ${title} right`, on: { click: scrollBy(1) } },
        icon('chevronRight'),
      ),
    ),
  );
  rovingTabIndex(list);
  return section;
}

function cardsOf(list: Element): HTMLAnchorElement[] {
  return Array.from(list.querySelectorAll<HTMLAnchorElement>(':scope > li > a'));
}

function rovingTabIndex(list: HTMLElement): void {
  const cards = cardsOf(list);
  cards.forEach((card, index) => {
    card.tabIndex = index === 0 ? 0 : -1;
  });
  list.addEventListener('focusin', (event) => {
    const target = event.target as HTMLElement;
    if (!(target instanceof HTMLAnchorElement)) return;
    for (const card of cardsOf(list)) card.tabIndex = card === target ? 0 : -1;
  });
}

function focusCard(card: HTMLAnchorElement | undefined): boolean {
  if (!card) return false;
  card.focus({ preventScroll: true });
  card.scrollIntoView({ block: 'nearest', inline: 'nearest', behavior: 'smooth' });
  return true;
}

/** Arrow-key navigation across every `.row-list` inside `root` (call once per screen). */
export function enableRowKeys(root: HTMLElement): () => void {
  const onKey = (event: KeyboardEvent) => {
    const target = event.target as HTMLElement;
    if (!(target instanceof HTMLAnchorElement) || event.altKey || event.ctrlKey || event.metaKey) return;
    const list = target.closest('.row-list, .grid-list');
    if (!list || !root.contains(list)) return;
    const cards = cardsOf(list);
    const index = cards.indexOf(target);
    let handled = false;
    if (list.classList.contains('grid-list')) {
      handled = gridKey(event.key, cards, index);
    } else if (event.key === 'ArrowRight') handled = focusCard(cards[index + 1]);
    else if (event.key === 'ArrowLeft') handled = focusCard(cards[index - 1]);
    else if (event.key === 'Home') handled = focusCard(cards[0]);
    else if (event.key === 'End') handled = focusCard(cards[cards.length - 1]);
    else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      const lists = Array.from(root.querySelectorAll<HTMLElement>('.row-list'));
      const next = lists[lists.indexOf(list as HTMLElement) + (event.key === 'ArrowDown' ? 1 : -1)];
      if (next) {
        const nextCards = cardsOf(next);
        // Land on the card under the current one, as a TV remote would.
        const x = target.getBoundingClientRect().left;
        let best = nextCards.find((card) => card.tabIndex === 0) ?? nextCards[0];
        let bestDistance = Infinity;
        for (const card of nextCards) {
          const distance = Math.abs(card.getBoundingClientRect().left - x);
          if (distance < bestDistance) [best, bestDistance] = [card, distance];
        }
        handled = focusCard(best);
        next.closest('.row')?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
      }
    }
    if (handled) event.preventDefault();
  };
  root.addEventListener('keydown', onKey);
  return () => root.removeEventListener('keydown', onKey);
}

function gridKey(key: string, cards: HTMLAnchorElement[], index: number): boolean {
  const first = cards[0];
  if (!first) return false;
  const top = first.getBoundingClientRect().top;
  const perRow = Math.max(1, cards.filter((card) => card.getBoundingClientRect().top === top).length);
  switch (key) {
    case 'ArrowRight':
      return focusCard(cards[index + 1]);
    case 'ArrowLeft':
      return focusCard(cards[index - 1]);
    case 'ArrowDown':
      return focusCard(cards[index + perRow]);
    case 'ArrowUp':
      return focusCard(cards[index - perRow]);
    case 'Home':
      return focusCard(cards[0]);
    case 'End':
      return focusCard(cards[cards.length - 1]);
    default:
      return false;
  }
}

/** A wrapping grid of poster cards (search results, My List, More like this). */
export function grid(label: string, videos: VideoCard[]): HTMLElement {
  const list = h('ul', { class: 'grid-list', role: 'list', 'aria-label': label });
  list.append(...videos.map((video) => posterCard(video)));
  rovingTabIndex(list);
  return list;
}
