// A title's page: what it is, Play/Resume, My List, thumbs, episodes, More like this.

import { ApiError } from '../api/client';
import * as api from '../api/queries';
import type { Episode, Rating, VideoCard, VideoDetail } from '../api/types';
import { preloadPlayer, startPlayback } from '../player/prefetch';
import type { ScreenFactory } from '../router';
import { displayTitle, paletteStyle } from '../ui/art';
import { h, icon } from '../ui/dom';
import { toastError } from '../ui/errors';
import { enableRowKeys, grid, progressBar } from '../ui/rows';
import { runtime, seasonsLabel } from './home';

const MATURITY_NOTES: Record<number, string> = {
  1: 'Suitable for all ages.',
  2: 'Parental guidance suggested.',
  3: 'Parents strongly cautioned; may be unsuitable for children under 13.',
  4: 'Restricted: for adults.',
  5: 'Adults only.',
};

export const titleScreen: ScreenFactory = async ({ main, params }) => {
  const video = await api.title(params['id'] ?? '');
  if (!video) throw new ApiError('NOT_FOUND', 'No such title.');
  document.title = `${displayTitle(video.title)} · Flix`;
  const page = h(
    'div',
    { class: 'title-page', dataset: { videoId: video.id } },
    titleHero(video),
    video.type === 'SERIES' && video.seasons.length ? episodesSection(video) : null,
    moreLikeThis(video),
    aboutSection(video),
  );
  main.replaceChildren(page);
  const stopKeys = enableRowKeys(page);
  // Play is what this page is for: the player's chunk comes while the viewer reads.
  const preload = whenIdle(preloadPlayer);
  return {
    destroy: () => {
      preload();
      stopKeys();
    },
  };
};

/** Run `work` once the page has nothing better to do; returns a cancel. */
function whenIdle(work: () => void): () => void {
  // Safari has no requestIdleCallback: a second's wait stands in for it there.
  const idle = (window as Partial<Window>).requestIdleCallback;
  if (idle) {
    const handle = idle.call(window, work, { timeout: 3_000 });
    return () => window.cancelIdleCallback(handle);
  }
  const handle = setTimeout(work, 1_000);
  return () => clearTimeout(handle);
}

/** The episode Play starts: the server's `upNext`, or the first again once the series is finished. */
export function nextUp(video: VideoDetail): Episode | null {
  const episodes = video.seasons.flatMap((season) => season.episodes);
  return episodes.find((episode) => episode.id === video.upNext?.id) ?? episodes[0] ?? null;
}

export function watchHref(videoId: string, episodeId?: string | null): string {
  const base = `/watch/${encodeURIComponent(videoId)}`;
  return episodeId ? `${base}?episode=${encodeURIComponent(episodeId)}` : base;
}

/** A Play link's listeners: the player's chunk on the way in (if the page has not fetched
 * it already), `playback` on the click. */
function startsPlayback(videoId: string, episodeId: string | null): Record<string, (event: Event) => void> {
  return {
    pointerenter: preloadPlayer,
    focus: preloadPlayer,
    click: (event) => {
      const click = event as MouseEvent;
      // What the router follows in place; a click opening a new tab plays there instead.
      if (click.button === 0 && !(click.metaKey || click.ctrlKey || click.shiftKey || click.altKey)) {
        startPlayback(videoId, episodeId);
      }
    },
  };
}

function timeLeft(position: number, duration: number): string {
  const minutes = Math.max(0, Math.round((duration - position) / 60));
  return minutes >= 60 ? `${Math.floor(minutes / 60)}h ${minutes % 60}m left` : `${minutes}m left`;
}

function titleHero(video: VideoDetail): HTMLElement {
  const episode = video.type === 'SERIES' ? nextUp(video) : null;
  const progress = episode ? episode.progress : video.progress;
  const started = Boolean(progress && progress.positionSeconds > 0 && !progress.completed);
  const playText = started ? 'Resume' : 'Play';
  const playDetail = episode ? `S${seasonOf(video, episode)}:E${episode.episodeNumber}` : '';
  const play = h(
    'a',
    {
      class: 'button button-primary button-large',
      href: watchHref(video.id, episode?.id),
      on: startsPlayback(video.id, episode?.id ?? null),
      'aria-label': `${playText} ${displayTitle(video.title)}${episode ? `, season ${seasonOf(video, episode)} episode ${episode.episodeNumber}` : ''}`,
      dataset: { action: 'play' },
    },
    icon('play'),
    playText,
    playDetail ? h('span', { class: 'button-detail' }, playDetail) : null,
  );

  const listButton = h('button', { class: 'round-button', type: 'button', dataset: { action: 'my-list' } });
  const renderList = (inList: boolean) => {
    listButton.replaceChildren(icon(inList ? 'check' : 'plus'));
    listButton.setAttribute('aria-pressed', String(inList));
    listButton.setAttribute('aria-label', inList ? 'Remove from My List' : 'Add to My List');
    listButton.title = inList ? 'Remove from My List' : 'Add to My List';
  };
  let inList = video.inMyList;
  renderList(inList);
  listButton.addEventListener('click', async () => {
    const wanted = !inList;
    renderList(wanted); // optimistic; put back if the server says no
    listButton.disabled = true;
    try {
      inList = await api.setInMyList(video.id, wanted);
      renderList(inList);
      announce(inList ? `${displayTitle(video.title)} added to My List` : `${displayTitle(video.title)} removed from My List`);
    } catch (error) {
      renderList(inList);
      toastError(error);
    } finally {
      listButton.disabled = false;
      listButton.focus();
    }
  });

  let rating: Rating = video.myRating;
  const thumb = (value: Exclude<Rating, 'NONE'>) => {
    const button = h('button', {
      class: 'round-button',
      type: 'button',
      dataset: { action: value === 'THUMBS_UP' ? 'thumbs-up' : 'thumbs-down' },
      'aria-label': value === 'THUMBS_UP' ? 'I like this' : 'Not for me',
      title: value === 'THUMBS_UP' ? 'I like this' : 'Not for me',
    }, icon(value === 'THUMBS_UP' ? 'thumbUp' : 'thumbDown'));
    button.addEventListener('click', async () => {
      const wanted: Rating = rating === value ? 'NONE' : value;
      try {
        rating = await api.rateTitle(video.id, wanted);
        syncThumbs();
        announce(rating === 'NONE' ? 'Rating removed' : rating === 'THUMBS_UP' ? 'Rated: I like this' : 'Rated: not for me');
      } catch (error) {
        toastError(error);
      }
    });
    return button;
  };
  const up = thumb('THUMBS_UP');
  const down = thumb('THUMBS_DOWN');
  const syncThumbs = () => {
    up.setAttribute('aria-pressed', String(rating === 'THUMBS_UP'));
    down.setAttribute('aria-pressed', String(rating === 'THUMBS_DOWN'));
  };
  syncThumbs();

  const facts = [
    video.releaseYear ? String(video.releaseYear) : null,
    video.type === 'SERIES' ? seasonsLabel(video.seasons.length) : video.durationMinutes ? runtime(video.durationMinutes) : null,
  ].filter((fact): fact is string => Boolean(fact));

  const backdrop = video.backdropUrl
    ? h('img', { class: 'hero-image', src: video.backdropUrl, alt: '', decoding: 'async' })
    : h('div', { class: 'hero-generated', style: paletteStyle(video.id), 'aria-hidden': 'true' }, h('span', { class: 'hero-glyph' }, displayTitle(video.title)));

  return h(
    'section',
    { class: 'hero hero-title-page', 'aria-labelledby': 'title-heading' },
    h('div', { class: 'hero-backdrop' }, backdrop),
    h('div', { class: 'hero-shade', 'aria-hidden': 'true' }),
    h(
      'div',
      { class: 'hero-content' },
      h('p', { class: 'hero-kicker' }, h('span', { class: 'hero-kicker-mark', 'aria-hidden': 'true' }, 'F'), video.type === 'SERIES' ? 'Series' : 'Film'),
      h('h1', { id: 'title-heading', class: 'hero-title' }, displayTitle(video.title)),
      h(
        'p',
        { class: 'hero-meta' },
        h('span', { class: 'badge', title: MATURITY_NOTES[video.maturityLevel] ?? '' }, video.rating),
        facts.map((fact) => h('span', null, fact)),
        video.genres.length ? h('span', null, video.genres.slice(0, 3).join(' · ')) : null,
      ),
      started && progress
        ? h(
            'div',
            { class: 'resume-info' },
            progressBar(progress.percentComplete, 'Watched'),
            h('span', null, timeLeft(progress.positionSeconds, progress.durationSeconds)),
          )
        : null,
      h('p', { class: 'hero-description' }, video.description),
      h('div', { class: 'hero-actions' }, play, listButton, up, down),
    ),
  );
}

function seasonOf(video: VideoDetail, episode: Episode): number {
  return video.seasons.find((season) => season.episodes.some((e) => e.id === episode.id))?.seasonNumber ?? 1;
}

function episodesSection(video: VideoDetail): HTMLElement {
  const current = nextUp(video);
  let seasonIndex = Math.max(0, video.seasons.findIndex((season) => season.episodes.some((e) => e.id === current?.id)));
  const list = h('ol', { class: 'episodes', 'aria-label': 'Episodes' });
  const renderSeason = () => {
    const season = video.seasons[seasonIndex];
    if (!season) return;
    list.replaceChildren(
      ...season.episodes.map((episode) => {
        const percent = episode.progress?.percentComplete ?? 0;
        return h(
          'li',
          null,
          h(
            'a',
            {
              class: `episode${episode.id === current?.id ? ' episode-current' : ''}`,
              href: watchHref(video.id, episode.id),
              on: startsPlayback(video.id, episode.id),
              'aria-label': `Episode ${episode.episodeNumber}: ${episode.title}${episode.durationMinutes ? `, ${episode.durationMinutes} minutes` : ''}${percent ? `, ${Math.round(percent)}% watched` : ''}`,
              dataset: { episodeId: episode.id },
            },
            h('span', { class: 'episode-number', 'aria-hidden': 'true' }, String(episode.episodeNumber)),
            h(
              'span',
              { class: 'episode-still', style: paletteStyle(`${video.id}:${episode.id}`), 'aria-hidden': 'true' },
              h('span', { class: 'episode-play' }, icon('play')),
              percent > 0 ? progressBar(percent, 'Watched') : null,
            ),
            h(
              'span',
              { class: 'episode-text', 'aria-hidden': 'true' },
              h('span', { class: 'episode-head' }, h('span', { class: 'episode-title' }, episode.title), episode.durationMinutes ? h('span', { class: 'muted' }, `${episode.durationMinutes}m`) : null),
              h('span', { class: 'episode-description' }, episode.description),
            ),
          ),
        );
      }),
    );
  };
  renderSeason();
  const picker =
    video.seasons.length > 1
      ? h(
          'select',
          {
            class: 'season-picker',
            'aria-label': 'Season',
            on: {
              change: (event) => {
                seasonIndex = Number((event.target as HTMLSelectElement).value);
                renderSeason();
              },
            },
          },
          video.seasons.map((season, index) => h('option', { value: String(index), selected: index === seasonIndex }, season.title || `Season ${season.seasonNumber}`)),
        )
      : h('span', { class: 'muted' }, video.seasons[0]?.title || 'Season 1');
  return h(
    'section',
    { class: 'section episodes-section', 'aria-labelledby': 'episodes-heading' },
    h('div', { class: 'section-head' }, h('h2', { id: 'episodes-heading' }, 'Episodes'), picker),
    list,
  );
}

function moreLikeThis(video: VideoDetail): HTMLElement | null {
  const items: VideoCard[] = video.similar.filter((other) => other.id !== video.id).slice(0, 12);
  if (!items.length) return null;
  return h(
    'section',
    { class: 'section', 'aria-labelledby': 'similar-heading' },
    h('h2', { id: 'similar-heading' }, 'More Like This'),
    grid('More like this', items),
  );
}

function aboutSection(video: VideoDetail): HTMLElement {
  return h(
    'section',
    { class: 'section about', 'aria-labelledby': 'about-heading' },
    h('h2', { id: 'about-heading' }, `About ${displayTitle(video.title)}`),
    h(
      'dl',
      { class: 'about-list' },
      video.genres.length ? [h('dt', null, 'Genres'), h('dd', null, video.genres.join(', '))] : null,
      h('dt', null, 'Maturity rating'),
      h('dd', null, h('span', { class: 'badge' }, video.rating), ' ', MATURITY_NOTES[video.maturityLevel] ?? ''),
      video.releaseYear ? [h('dt', null, 'Released'), h('dd', null, String(video.releaseYear))] : null,
    ),
  );
}

function announce(message: string): void {
  const region = document.getElementById('toasts');
  if (!region) return;
  const note = h('div', { class: 'toast' }, message);
  region.appendChild(note);
  window.setTimeout(() => note.classList.add('toast-leaving'), 2500);
  window.setTimeout(() => note.remove(), 3000);
}
