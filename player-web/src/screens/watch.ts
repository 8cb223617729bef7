// /watch/:id[?episode=ID]: the player, full screen.

import { ApiError } from '../api/client';
import * as api from '../api/queries';
import type { Episode, Playback, VideoDetail } from '../api/types';
import { mountPlayer } from '../player/player';
import { takePlayback } from '../player/prefetch';
import { goBack, navigate, type ScreenFactory } from '../router';
import { displayTitle } from '../ui/art';
import { h, icon } from '../ui/dom';
import { describeError } from '../ui/errors';
import { nextUp, watchHref } from './title';

function locate(video: VideoDetail, episodeId: string): { episode: Episode; season: number; next: Episode | null; nextSeason: number } | null {
  const flat = video.seasons.flatMap((season) => season.episodes.map((episode) => ({ episode, season: season.seasonNumber })));
  const index = flat.findIndex((entry) => entry.episode.id === episodeId);
  const here = flat[index];
  if (!here) return null;
  const following = flat[index + 1];
  return { episode: here.episode, season: here.season, next: following?.episode ?? null, nextSeason: following?.season ?? here.season };
}

/** How old the title page's copy of a title may be for the player to use it. */
const TITLE_REUSE_MS = 5 * 60_000;

export const watchScreen: ScreenFactory = async ({ main, params, query }) => {
  const videoId = params['id'] ?? '';
  const exit = () => goBack(`/title/${encodeURIComponent(videoId)}`);
  const back = () => navigate(`/title/${encodeURIComponent(videoId)}`, { replace: true });

  const stage = h('div', { class: 'watch' });
  main.replaceChildren(stage);

  // `playback` in parallel with the title (the Play click may have started it already):
  // for a movie, and an episode the link names, it needs nothing the title says.
  const named = query.get('episode');
  const early = takePlayback(videoId, named);
  early.catch(() => undefined); // reported below, if it is the answer used
  // The title page Play was pressed on has just loaded the title; a watch URL opened
  // afresh asks.
  const video = api.recentTitle(videoId, TITLE_REUSE_MS) ?? (await api.title(videoId));
  if (!video) throw new ApiError('NOT_FOUND', 'No such title.');
  document.title = `Watching ${displayTitle(video.title)} · Flix`;

  let episodeId = named;
  if (video.type === 'SERIES' && !episodeId) episodeId = nextUp(video)?.id ?? null;
  const place = episodeId ? locate(video, episodeId) : null;
  if (episodeId && !place) throw new ApiError('NOT_FOUND', 'No such episode.');

  let playback: Playback;
  try {
    playback = await (episodeId === named ? early : takePlayback(video.id, episodeId));
  } catch (error) {
    const detail = error instanceof ApiError && (error.code === 'NOT_FOUND' || error.code === 'BAD_USER_INPUT' || error.code === 'CONFLICT') && error.message ? error.message.replace(/`/g, '') : null;
    stage.replaceChildren(message('We can’t play this right now', describeError(error), back, detail));
    return;
  }

  const subtitle = place ? `S${place.season}:E${place.episode.episodeNumber} “${place.episode.title}”` : null;
  const nextEpisode = place?.next;
  const mounted = await mountPlayer(stage, {
    videoId: video.id,
    episodeId,
    title: displayTitle(video.title),
    subtitle,
    poster: video.backdropUrl,
    playback,
    next: nextEpisode
      ? {
          label: `S${place.nextSeason}:E${nextEpisode.episodeNumber} · ${nextEpisode.title}`,
          go: () => navigate(watchHref(video.id, nextEpisode.id), { replace: true }),
        }
      : null,
    exit,
  });
  return { destroy: () => mounted.destroy() };
};

function message(title: string, text: string, back: () => void, detail: string | null = null): HTMLElement {
  const button = h('button', { class: 'button button-primary', type: 'button', on: { click: back } }, icon('back'), 'Back');
  const box = h(
    'div',
    { class: 'watch-message', role: 'alert' },
    h('h1', null, title),
    h('p', null, text),
    detail && detail !== text ? h('p', { class: 'muted' }, detail) : null,
    button,
  );
  queueMicrotask(() => button.focus());
  return box;
}
