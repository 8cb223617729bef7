// Startup: everything the first frame waits for starts at the Play click, side by side.
//
// Without this the chain was serial: the player chunk (shaka-player, ~200 kB gzipped, and a
// few hundred milliseconds of CPU to start), then the title query, then `playback`, then
// shaka fetched the manifest, then the init and first segments. Now the title page fetches
// the chunk when it is idle (or when a pointer or the focus reaches Play), the watch screen
// reuses the title the page loaded, the click starts `playback` at once, and as soon as it
// answers, the manifest and the segments the player will ask for
// first (the lowest rung's init and first segment, and the audio's: the ABR rule starts on
// the lowest variant while the buffer is empty, see abr.ts) go into the HTTP cache. Media
// URLs are immutable and the manifest is cacheable for a minute, so shaka's own requests are
// answered from the cache, or join the download still under way.
//
// This module is in the main bundle (the title page calls it); it must stay small.

import type { Playback } from '../api/types';
import { capabilities } from './device';
import { fetchPlayback, RESUME_PROMPT_MIN_S } from './playback';

/** A `playback` answer started by a click is used if the player asks within this long. */
const FRESH_MS = 15_000;

let pending: { key: string; at: number; playback: Promise<Playback> } | null = null;

function keyOf(videoId: string, episodeId: string | null): string {
  return `${videoId}:${episodeId ?? ''}`;
}

function begin(videoId: string, episodeId: string | null): Promise<Playback> {
  const playback = fetchPlayback(videoId, episodeId);
  // Whoever takes the answer reports its failure; the warm-up only skips.
  playback.then(warmMedia).catch(() => undefined);
  return playback;
}

/** Start `playback` (and the first media after it) for a title the viewer chose to watch. */
export function startPlayback(videoId: string, episodeId: string | null): void {
  const key = keyOf(videoId, episodeId);
  if (pending?.key === key && performance.now() - pending.at < FRESH_MS) return;
  pending = { key, at: performance.now(), playback: begin(videoId, episodeId) };
}

/** The `playback` answer the click started for this title, or a new request. */
export function takePlayback(videoId: string, episodeId: string | null): Promise<Playback> {
  const found = pending;
  pending = null;
  if (found?.key === keyOf(videoId, episodeId) && performance.now() - found.at < FRESH_MS) {
    return found.playback;
  }
  return begin(videoId, episodeId);
}

/** Fetch and start the player's chunk, and ask what this browser plays (both once). */
export function preloadPlayer(): void {
  void import('../screens/watch').catch(() => undefined);
  void capabilities();
}

async function warmMedia(playback: Playback): Promise<void> {
  const manifestUrl = new URL(playback.dashUrl, location.href).href;
  const response = await fetch(manifestUrl);
  if (!response.ok) return;
  const resumes = (playback.resumePositionSeconds ?? 0) > RESUME_PROMPT_MIN_S;
  const urls = firstRequests(await response.text(), manifestUrl, { firstSegment: !resumes });
  // Read to the end: a body nobody reads is not kept in the cache.
  await Promise.all(urls.map((url) => fetch(url).then((answer) => answer.arrayBuffer()).catch(() => undefined)));
}

/**
 * The URLs a player fetches first from this MPD: for the lowest-bandwidth video
 * representation and the lowest audio one, the init segment and (with `firstSegment`) the
 * first media segment. Only what Flix's packager writes is understood (SegmentTemplate with
 * `$Number$` or `$Time$`, `$RepresentationID$`, `$Bandwidth$`); anything else gives nothing.
 */
export function firstRequests(mpd: string, manifestUrl: string, options: { firstSegment: boolean }): string[] {
  const doc = new DOMParser().parseFromString(mpd, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length) return [];
  const lowest = new Map<string, { bandwidth: number; representation: Element }>();
  for (const set of Array.from(doc.getElementsByTagName('AdaptationSet'))) {
    const kind = set.getAttribute('contentType') ?? set.getAttribute('mimeType')?.split('/')[0] ?? '';
    if (kind !== 'video' && kind !== 'audio') continue;
    for (const representation of Array.from(set.getElementsByTagName('Representation'))) {
      const bandwidth = Number(representation.getAttribute('bandwidth'));
      const best = lowest.get(kind);
      if (Number.isFinite(bandwidth) && (!best || bandwidth < best.bandwidth)) lowest.set(kind, { bandwidth, representation });
    }
  }
  const urls: string[] = [];
  for (const { representation } of lowest.values()) {
    const template = representation.getElementsByTagName('SegmentTemplate')[0] ?? representation.parentElement?.getElementsByTagName('SegmentTemplate')[0];
    if (!template) continue;
    const id = representation.getAttribute('id') ?? '';
    const bandwidth = representation.getAttribute('bandwidth') ?? '';
    const init = template.getAttribute('initialization');
    if (init) urls.push(new URL(fillTemplate(init, { id, bandwidth, number: 0, time: 0 }), manifestUrl).href);
    const media = template.getAttribute('media');
    if (media && options.firstSegment) {
      const number = Number(template.getAttribute('startNumber') ?? '1');
      const time = Number(template.getElementsByTagName('S')[0]?.getAttribute('t') ?? '0');
      urls.push(new URL(fillTemplate(media, { id, bandwidth, number, time }), manifestUrl).href);
    }
  }
  return urls;
}

/** A SegmentTemplate URL with its identifiers filled in (ISO/IEC 23009-1, 5.3.9.4.4). */
export function fillTemplate(pattern: string, values: { id: string; bandwidth: string; number: number; time: number }): string {
  const padded = (value: number) => (_: string, width?: string) => String(value).padStart(Number(width ?? 0), '0');
  return pattern
    .replace(/\$RepresentationID\$/g, values.id)
    .replace(/\$Bandwidth\$/g, values.bandwidth)
    .replace(/\$Number(?:%0(\d+)d)?\$/g, padded(values.number))
    .replace(/\$Time(?:%0(\d+)d)?\$/g, padded(values.time))
    .replace(/\$\$/g, '$');
}
