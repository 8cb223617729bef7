// The homepage: a featured title, then the profile's rows.

import * as api from '../api/queries';
import type { ContinueWatchingItem, Row, VideoCard } from '../api/types';
import type { ScreenFactory } from '../router';
import { activeProfile } from '../session';
import { displayTitle, paletteStyle } from '../ui/art';
import { h, icon } from '../ui/dom';
import { continueCard, enableRowKeys, posterCard, row } from '../ui/rows';

export const homeScreen: ScreenFactory = async ({ main }) => {
  const profile = activeProfile();
  document.title = 'Home · Flix';
  const data = await api.homepage(10, 20);
  const featured = pickFeatured(data.rows, data.continueWatching);
  const rows = buildRows(data.rows, data.continueWatching);
  const page = h(
    'div',
    { class: `home${profile?.isKids ? ' home-kids' : ''}` },
    h('h1', { class: 'visually-hidden' }, profile ? `Home, ${profile.name}` : 'Home'),
    featured ? hero(featured) : null,
    data.source !== 'PERSONALIZED' && data.source !== 'CACHE'
      ? h('p', { class: 'home-note', role: 'status' }, 'Showing what’s popular while your recommendations catch up.')
      : null,
    h('div', { class: 'rows' }, rows.length ? rows : emptyHome()),
  );
  main.replaceChildren(page);
  const stopKeys = enableRowKeys(page);
  return { destroy: stopKeys };
};

function pickFeatured(rows: Row[], continuing: ContinueWatchingItem[]): VideoCard | null {
  const preferred = rows.find((r) => r.kind === 'TRENDING' && r.items.length) ?? rows.find((r) => r.kind !== 'CONTINUE_WATCHING' && r.items.length);
  return preferred?.items[0] ?? continuing[0]?.video ?? null;
}

function buildRows(rows: Row[], continuing: ContinueWatchingItem[]): HTMLElement[] {
  const sections: HTMLElement[] = [];
  let continueShown = false;
  for (const r of rows) {
    if (r.kind === 'CONTINUE_WATCHING') {
      if (continuing.length) {
        sections.push(row(r.id, r.title, continuing.map(continueCard), { kind: r.kind }));
        continueShown = true;
        continue;
      }
    }
    if (!r.items.length) continue;
    const cards =
      r.kind === 'TOP_10'
        ? r.items.slice(0, 10).map((video, index) => posterCard(video, { rank: index + 1 }))
        : r.items.map((video) => posterCard(video));
    sections.push(row(r.id, r.title, cards, { kind: r.kind }));
  }
  if (!continueShown && continuing.length) {
    sections.unshift(row('continue-watching', 'Continue Watching', continuing.map(continueCard), { kind: 'CONTINUE_WATCHING' }));
  }
  return sections;
}

function emptyHome(): HTMLElement {
  return h(
    'div',
    { class: 'page-message' },
    h('p', null, 'Nothing to show here yet. Try searching for a title.'),
  );
}

function hero(video: VideoCard): HTMLElement {
  const backdrop = video.backdropUrl
    ? h('img', { class: 'hero-image', src: video.backdropUrl, alt: '', decoding: 'async' })
    : h('div', { class: 'hero-generated', style: paletteStyle(video.id), 'aria-hidden': 'true' }, h('span', { class: 'hero-glyph' }, displayTitle(video.title)));
  const meta = h(
    'p',
    { class: 'hero-meta' },
    h('span', { class: 'badge' }, video.rating),
    video.releaseYear ? h('span', null, String(video.releaseYear)) : null,
  );
  const description = h('p', { class: 'hero-description' });
  const playLabel = h('span', null, 'Play');
  const play = h('a', { class: 'button button-primary button-large', href: `/watch/${encodeURIComponent(video.id)}` }, icon('play'), playLabel);
  play.setAttribute('aria-label', `Play ${displayTitle(video.title)}`);
  const section = h(
    'section',
    { class: 'hero', 'aria-labelledby': 'hero-title', dataset: { videoId: video.id } },
    h('div', { class: 'hero-backdrop' }, backdrop),
    h('div', { class: 'hero-shade', 'aria-hidden': 'true' }),
    h(
      'div',
      { class: 'hero-content' },
      h('p', { class: 'hero-kicker' }, h('span', { class: 'hero-kicker-mark', 'aria-hidden': 'true' }, 'F'), video.type === 'SERIES' ? 'Series' : 'Film'),
      h('h2', { id: 'hero-title', class: 'hero-title' }, displayTitle(video.title)),
      meta,
      description,
      h(
        'div',
        { class: 'hero-actions' },
        play,
        h(
          'a',
          { class: 'button button-secondary button-large', href: `/title/${encodeURIComponent(video.id)}`, 'aria-label': `More info about ${displayTitle(video.title)}` },
          icon('info'),
          'More Info',
        ),
      ),
    ),
  );
  // The row item has no description; fetch the title's details without holding up the page.
  void api
    .heroDetails(video.id)
    .then((detail) => {
      if (!detail) return;
      description.textContent = detail.description;
      const facts = [
        detail.type === 'SERIES' ? seasonsLabel(detail.seasons.length) : detail.durationMinutes ? runtime(detail.durationMinutes) : '',
        detail.genres.slice(0, 3).join(' · '),
      ].filter(Boolean);
      for (const fact of facts) meta.appendChild(h('span', null, fact));
      if (detail.progress && detail.progress.positionSeconds > 0 && !detail.progress.completed) {
        playLabel.textContent = 'Resume';
      }
    })
    .catch(() => undefined);
  return section;
}

export function runtime(minutes: number): string {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return hours ? `${hours}h ${rest}m` : `${rest}m`;
}

export function seasonsLabel(count: number): string {
  return `${count} Season${count === 1 ? '' : 's'}`;
}
