// One playback session: shaka-player with Flix's ABR, DRM and controls, plus progress
// reporting and QoE telemetry.

import shaka from 'shaka-player/dist/shaka-player.dash.js';
import type { Playback } from '../api/types';
import { h } from '../ui/dom';
import { DEFAULT_ABR, FlixAbrManager } from './abr';
import { RESUME_PROMPT_MIN_S } from './playback';
import { Controls, formatTime, type QualityOption } from './controls';
import { ProgressReporter } from './progress';
import { Telemetry } from './telemetry';

export interface PlayerOptions {
  videoId: string;
  episodeId: string | null;
  title: string;
  subtitle: string | null;
  /** Shown until the first frame (the title's backdrop), if there is one. */
  poster: string | null;
  playback: Playback;
  /** The next episode of a series, if any. */
  next: { label: string; go: () => void } | null;
  exit: () => void;
}

export interface MountedPlayer {
  destroy(): void;
}

const PROGRESS_EVERY_MS = 10_000;
const VOLUME_KEY = 'flix.volume';

let polyfilled = false;

/** Absolute, so shaka and the license request resolve it against this page. */
function absolute(url: string): string {
  return new URL(url, location.href).href;
}

function describeShakaError(error: shaka.util.Error | Error): { code: string; message: string } {
  const code = 'code' in error && typeof error.code === 'number' ? error.code : 0;
  const category = Math.floor(code / 1000);
  const messages: Record<number, string> = {
    1: 'We lost the connection to the video server. Check your connection and try again.',
    3: 'Your browser couldn’t decode this video.',
    4: 'This title’s stream description couldn’t be read.',
    6: 'We couldn’t get permission to play this protected title on this device.',
  };
  return {
    code: code ? `SHAKA_${code}` : 'PLAYER',
    message: messages[category] ?? 'Something went wrong while playing this title.',
  };
}

export async function mountPlayer(host: HTMLElement, options: PlayerOptions): Promise<MountedPlayer> {
  if (!polyfilled) {
    shaka.polyfill.installAll();
    polyfilled = true;
  }
  const { playback } = options;
  const telemetry = new Telemetry(options.videoId, options.episodeId);
  const saved = { position: -1 };
  const progress = new ProgressReporter(options.videoId, options.episodeId, (update) => {
    saved.position = update.positionSeconds;
    controls.root.dataset['savedPosition'] = update.positionSeconds.toFixed(1);
  });

  let destroyed = false;
  let started = false; // the viewer asked for playback (START sent)
  let firstFrame = false;
  let startMark = 0;
  let rebufferSince: number | null = null;
  let lastBitrate = 0;
  let ended = false;
  let nextPromptShown = false;
  let player: shaka.Player | null = null;
  const timers: number[] = [];

  const controls = new Controls(
    {
      togglePlay: () => {
        if (!started) return void begin();
        if (video.paused || video.ended) void video.play().catch(() => undefined);
        else video.pause();
      },
      seekTo: (seconds) => {
        video.currentTime = Math.max(0, Math.min(seconds, (video.duration || seconds) - 0.25));
      },
      seekBy: (delta) => {
        const target = Math.max(0, Math.min(video.currentTime + delta, (video.duration || 0) - 0.25));
        video.currentTime = target;
        controls.flashIcon(delta < 0 ? 'replay10' : 'forward10');
        controls.announce(`${delta < 0 ? 'Back' : 'Forward'} to ${formatTime(target)}`);
      },
      setVolume: (volume, muted) => {
        video.volume = volume;
        video.muted = muted;
        try {
          localStorage.setItem(VOLUME_KEY, JSON.stringify({ volume, muted }));
        } catch {
          // not persisted; fine
        }
      },
      toggleFullscreen: () => {
        if (document.fullscreenElement) void document.exitFullscreen();
        else void controls.root.requestFullscreen?.().catch(() => undefined);
      },
      chooseQuality: (id) => chooseQuality(id),
      exit: () => options.exit(),
      nextEpisode: options.next ? () => options.next?.go() : null,
    },
    { title: options.title, subtitle: options.subtitle },
  );
  const video = controls.video;
  if (options.poster) video.poster = options.poster;
  host.replaceChildren(controls.root);
  restoreVolume(video);
  controls.updateVolume();
  controls.setThumbnails(playback.thumbnails);

  // --- progress ---------------------------------------------------------------------------
  const reportProgress = (urgent = false) => {
    if (!started || !firstFrame) return;
    progress.report(ended ? video.duration : video.currentTime, video.duration, urgent);
  };
  timers.push(
    window.setInterval(() => {
      if (!video.paused && !video.ended) reportProgress();
    }, PROGRESS_EVERY_MS),
  );
  const onPageHide = () => reportProgress(true);
  const onVisibility = () => {
    if (document.visibilityState === 'hidden') reportProgress(true);
  };
  window.addEventListener('pagehide', onPageHide);
  document.addEventListener('visibilitychange', onVisibility);

  // --- media element events -----------------------------------------------------------------
  video.addEventListener('timeupdate', () => {
    controls.updateTime();
    maybePromptNext();
  });
  video.addEventListener('progress', () => controls.updateTime());
  video.addEventListener('durationchange', () => controls.updateTime());
  video.addEventListener('volumechange', () => controls.updateVolume());
  video.addEventListener('playing', () => {
    controls.setState('playing');
    if (started && !firstFrame) {
      firstFrame = true;
      const ttff = performance.now() - startMark;
      controls.root.dataset['ttffMs'] = ttff.toFixed(0);
      telemetry.record('FIRST_FRAME', { durationMs: ttff, positionSeconds: video.currentTime });
      noteBitrate();
    }
  });
  video.addEventListener('pause', () => {
    if (!video.ended) controls.setState('paused');
    reportProgress();
  });
  video.addEventListener('seeked', () => reportProgress());
  video.addEventListener('ended', () => {
    ended = true;
    controls.setState('ended');
    reportProgress();
    telemetry.record('END', { positionSeconds: video.duration, message: 'completed' });
    void telemetry.flush();
    showEnd();
  });
  document.addEventListener('fullscreenchange', onFullscreen);
  function onFullscreen() {
    controls.updateFullscreen();
  }

  // --- shaka ---------------------------------------------------------------------------------
  try {
    if (!shaka.Player.isBrowserSupported()) {
      throw Object.assign(new Error('unsupported'), { code: 0 });
    }
    player = new shaka.Player();
    await player.attach(video);
  } catch (error) {
    fail(error as Error);
    return { destroy: teardown };
  }
  const abr = playback.abr ?? DEFAULT_ABR;
  player.configure({
    abrFactory: () =>
      new FlixAbrManager(abr, {
        onDecision: (variant, reason) => {
          controls.root.dataset['abrReason'] = reason;
          controls.root.dataset['abrChoice'] = String(variant.bandwidth);
        },
      }),
    abr: { enabled: true },
    streaming: {
      bufferingGoal: 30,
      rebufferingGoal: 1,
      bufferBehind: 30,
      retryParameters: { maxAttempts: 6, baseDelay: 500, backoffFactor: 2, fuzzFactor: 0.5, timeout: 30_000 },
    },
    manifest: { retryParameters: { maxAttempts: 4, baseDelay: 500, backoffFactor: 2, fuzzFactor: 0.5, timeout: 20_000 } },
  });
  if (playback.drm?.licenseUrl) {
    player.configure({
      drm: {
        servers: { [playback.drm.keySystem || 'org.w3.clearkey']: absolute(playback.drm.licenseUrl) },
        retryParameters: { maxAttempts: 3, baseDelay: 500, backoffFactor: 2, fuzzFactor: 0.5, timeout: 15_000 },
      },
    });
  }
  player.addEventListener('error', (event) => {
    const detail = (event as unknown as { detail: shaka.util.Error }).detail;
    if (detail.severity === shaka.util.Error.Severity.CRITICAL) fail(detail);
    else telemetry.record('ERROR', { ...shakaErrorFields(detail), positionSeconds: video.currentTime });
  });
  player.addEventListener('buffering', (event) => {
    const buffering = (event as unknown as { buffering: boolean }).buffering;
    if (buffering) {
      if (!video.paused || !firstFrame) controls.setState(firstFrame ? 'buffering' : 'loading');
      // Stalls after the first frame, and not caused by a seek, are rebuffers.
      if (firstFrame && !video.seeking && rebufferSince === null) {
        rebufferSince = performance.now();
        telemetry.record('REBUFFER_START', { positionSeconds: video.currentTime });
      }
    } else {
      if (rebufferSince !== null) {
        telemetry.record('REBUFFER_END', { durationMs: performance.now() - rebufferSince, positionSeconds: video.currentTime });
        rebufferSince = null;
      }
      controls.setState(video.ended ? 'ended' : video.paused ? (firstFrame ? 'paused' : 'loading') : 'playing');
    }
  });
  const onTracks = () => {
    refreshQuality();
    noteBitrate();
  };
  player.addEventListener('adaptation', onTracks);
  player.addEventListener('variantchanged', onTracks);
  player.addEventListener('trackschanged', () => refreshQuality());
  // Also on a timer: shaka can fire 'adaptation' before the new variant reads as active, and a
  // switch seen only by the stats would never reach telemetry.
  timers.push(window.setInterval(() => noteBitrate(), 1000));

  // --- start: resume or start over ------------------------------------------------------------
  const resumeAt = playback.resumePositionSeconds ?? 0;
  const loading = load(resumeAt > RESUME_PROMPT_MIN_S ? resumeAt : 0);
  if (resumeAt > RESUME_PROMPT_MIN_S) askResume(resumeAt);
  else void begin();

  return { destroy: teardown };

  // --- helpers -----------------------------------------------------------------------------

  async function load(startTime: number): Promise<boolean> {
    if (!player) return false;
    try {
      await player.load(absolute(playback.dashUrl), startTime > 0 ? startTime : null);
      controls.updateTime();
      refreshQuality();
      return true;
    } catch (error) {
      const shakaError = error as shaka.util.Error;
      if (destroyed || shakaError.code === shaka.util.Error.Code.LOAD_INTERRUPTED) return false;
      fail(shakaError);
      return false;
    }
  }

  /** The viewer asked to watch (Play, Resume, Start over): START, then play. */
  async function begin(from?: number): Promise<void> {
    if (started || destroyed) return;
    started = true;
    startMark = performance.now();
    controls.hideOverlay();
    controls.setState('loading');
    telemetry.record('START', { positionSeconds: from ?? resumeAt });
    controls.focusPlay();
    if (!(await loading)) return;
    if (from !== undefined) video.currentTime = from;
    try {
      await video.play();
    } catch (error) {
      if (destroyed) return;
      // Autoplay refused (no gesture on this page): one click starts it.
      started = false;
      controls.setState('paused');
      const button = h('button', { class: 'button button-primary button-large', type: 'button', on: { click: () => void begin(from) } }, 'Play');
      controls.showOverlay(h('div', { class: 'player-dialog', role: 'dialog', 'aria-label': 'Start playback' }, button), button);
      void error;
    }
  }

  function askResume(position: number): void {
    const resume = h('button', { class: 'button button-primary button-large', type: 'button', dataset: { action: 'resume' }, on: { click: () => void begin(position) } }, `Resume from ${formatTime(position)}`);
    const over = h('button', { class: 'button button-secondary button-large', type: 'button', dataset: { action: 'start-over' }, on: { click: () => void begin(0) } }, 'Start over');
    controls.showOverlay(
      h(
        'div',
        { class: 'player-dialog', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'resume-title' },
        h('h2', { id: 'resume-title' }, 'Continue watching?'),
        h('p', null, `You stopped at ${formatTime(position)}.`),
        h('div', { class: 'dialog-actions' }, resume, over),
      ),
      resume,
    );
    controls.setState('paused');
  }

  function maybePromptNext(): void {
    const next = options.next;
    if (!next || nextPromptShown || ended || !Number.isFinite(video.duration)) return;
    const remaining = video.duration - video.currentTime;
    const threshold = Math.min(20, Math.max(3, video.duration * 0.1));
    if (remaining > threshold) return;
    nextPromptShown = true;
    const play = h('button', { class: 'button button-primary', type: 'button', dataset: { action: 'next-episode' }, on: { click: () => next.go() } }, 'Next episode');
    const dismiss = h('button', { class: 'button button-outline', type: 'button', on: { click: () => controls.hideOverlay() } }, 'Watch credits');
    controls.showOverlay(
      h('div', { class: 'player-dialog player-dialog-corner', role: 'dialog', 'aria-labelledby': 'next-title' }, h('h2', { id: 'next-title' }, 'Up next'), h('p', null, next.label), h('div', { class: 'dialog-actions' }, play, dismiss)),
      play,
    );
  }

  function showEnd(): void {
    const next = options.next;
    if (next) {
      let left = 8;
      const label = h('span', null, `Next episode in ${left}`);
      const play = h('button', { class: 'button button-primary button-large', type: 'button', dataset: { action: 'next-episode' }, on: { click: () => next.go() } }, 'Play now');
      const stay = h('button', { class: 'button button-outline', type: 'button', on: { click: () => { window.clearInterval(countdown); options.exit(); } } }, 'Back to browse');
      const countdown = window.setInterval(() => {
        left -= 1;
        label.textContent = `Next episode in ${left}`;
        if (left <= 0) {
          window.clearInterval(countdown);
          next.go();
        }
      }, 1000);
      timers.push(countdown);
      controls.showOverlay(
        h('div', { class: 'player-dialog', role: 'dialog', 'aria-labelledby': 'up-next' }, h('h2', { id: 'up-next' }, label), h('p', null, next.label), h('div', { class: 'dialog-actions' }, play, stay)),
        play,
      );
      return;
    }
    const again = h('button', { class: 'button button-primary button-large', type: 'button', on: { click: () => { ended = false; controls.hideOverlay(); video.currentTime = 0; void video.play(); } } }, 'Watch again');
    const back = h('button', { class: 'button button-outline button-large', type: 'button', on: { click: () => options.exit() } }, 'Back to browse');
    controls.showOverlay(h('div', { class: 'player-dialog', role: 'dialog', 'aria-labelledby': 'end-title' }, h('h2', { id: 'end-title' }, 'Finished'), h('p', null, options.title), h('div', { class: 'dialog-actions' }, again, back)), again);
  }

  function fail(error: shaka.util.Error | Error): void {
    if (destroyed) return;
    const { code, message } = describeShakaError(error);
    telemetry.record('ERROR', { errorCode: code, message: (error as Error).message || message, positionSeconds: video.currentTime });
    void telemetry.flush();
    controls.setState('error');
    controls.root.dataset['error'] = code;
    const retry = h('button', { class: 'button button-primary', type: 'button', on: { click: () => location.reload() } }, 'Try again');
    const back = h('button', { class: 'button button-outline', type: 'button', on: { click: () => options.exit() } }, 'Back to browse');
    controls.showOverlay(
      h('div', { class: 'player-dialog', role: 'alertdialog', 'aria-labelledby': 'error-title', 'aria-describedby': 'error-text' }, h('h2', { id: 'error-title' }, 'Playback stopped'), h('p', { id: 'error-text' }, message), h('p', { class: 'muted small' }, `Error ${code}`), h('div', { class: 'dialog-actions' }, retry, back)),
      retry,
    );
  }

  function shakaErrorFields(error: shaka.util.Error): { errorCode: string; message: string } {
    return { errorCode: `SHAKA_${error.code}`, message: `category ${error.category}, severity ${error.severity}` };
  }

  function activeTrack(): shaka.extern.Track | undefined {
    return player?.getVariantTracks().find((track) => track.active);
  }

  function noteBitrate(): void {
    const track = activeTrack();
    if (track && firstFrame && track.bandwidth !== lastBitrate) {
      lastBitrate = track.bandwidth;
      telemetry.record('BITRATE_SWITCH', { bitrateKbps: track.bandwidth / 1000, positionSeconds: video.currentTime });
    }
    exposeStats();
  }

  function refreshQuality(): void {
    if (!player) return;
    const auto = player.getConfiguration().abr.enabled;
    const tracks = player.getVariantTracks();
    const active = tracks.find((track) => track.active);
    // One entry per picture size/bitrate (audio variants collapse).
    const seen = new Set<string>();
    const rungs = tracks
      .filter((track) => track.height)
      .sort((a, b) => (b.height ?? 0) - (a.height ?? 0) || b.bandwidth - a.bandwidth)
      .filter((track) => {
        const key = `${track.height}:${track.videoBandwidth ?? track.bandwidth}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    const options: QualityOption[] = [
      { id: 'auto', label: `Auto${active?.height ? ` (${active.height}p)` : ''}`, active: auto },
      ...rungs.map((track) => ({
        id: track.id,
        label: `${track.height}p · ${(track.bandwidth / 1e6).toFixed(track.bandwidth < 1e6 ? 2 : 1)} Mbps`,
        active: !auto && track.active,
      })),
    ];
    controls.setQualityOptions(options);
  }

  function chooseQuality(id: number | 'auto'): void {
    if (!player) return;
    if (id === 'auto') {
      player.configure({ abr: { enabled: true } });
      controls.announce('Quality: automatic');
    } else {
      const track = player.getVariantTracks().find((candidate) => candidate.id === id);
      if (!track) return;
      player.configure({ abr: { enabled: false } });
      player.selectVariantTrack(track, /* clearBuffer= */ true);
      controls.announce(`Quality: ${track.height}p`);
    }
    controls.root.dataset['abr'] = id === 'auto' ? 'auto' : 'fixed';
    refreshQuality();
  }

  /** Current rung and estimate on the element: read by the e2e tests and handy in devtools. */
  function exposeStats(): void {
    if (!player) return;
    const track = activeTrack();
    const stats = player.getStats();
    const data = controls.root.dataset;
    if (track) {
      data['bandwidth'] = String(track.bandwidth);
      data['height'] = String(track.height ?? 0);
    }
    data['estimate'] = String(Math.round(stats.estimatedBandwidth || 0));
    data['abr'] ??= 'auto';
    data['position'] = video.currentTime.toFixed(1);
  }

  function teardown(): void {
    if (destroyed) return;
    if (started && firstFrame && !ended) {
      reportProgress(true);
      telemetry.record('END', { positionSeconds: video.currentTime, message: 'exited' });
    }
    destroyed = true;
    for (const timer of timers) {
      window.clearInterval(timer);
      window.clearTimeout(timer);
    }
    window.removeEventListener('pagehide', onPageHide);
    document.removeEventListener('visibilitychange', onVisibility);
    document.removeEventListener('fullscreenchange', onFullscreen);
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    telemetry.dispose();
    progress.dispose();
    controls.dispose();
    void player?.destroy();
  }
}

function restoreVolume(video: HTMLVideoElement): void {
  try {
    const stored = JSON.parse(localStorage.getItem(VOLUME_KEY) ?? 'null') as { volume?: number; muted?: boolean } | null;
    if (stored && typeof stored.volume === 'number') video.volume = Math.min(1, Math.max(0, stored.volume));
    if (stored?.muted) video.muted = true;
  } catch {
    // defaults
  }
}
