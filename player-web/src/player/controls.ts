// The player's on-screen controls: markup, keyboard and pointer handling. No shaka here;
// it talks to the player through `ControlsHost`.

import type { Thumbnails } from '../api/types';
import { h, icon } from '../ui/dom';
import { frameAt } from './trickplay';

export interface QualityOption {
  id: number | 'auto';
  label: string;
  active: boolean;
}

export interface ControlsHost {
  togglePlay(): void;
  seekTo(seconds: number): void;
  seekBy(seconds: number): void;
  setVolume(volume: number, muted: boolean): void;
  toggleFullscreen(): void;
  chooseQuality(id: number | 'auto'): void;
  exit(): void;
  nextEpisode: (() => void) | null;
}

export function formatTime(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) seconds = 0;
  const total = Math.floor(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h ? String(m).padStart(2, '0') : String(m);
  return `${h ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}

function spokenTime(seconds: number): string {
  const total = Math.floor(Math.max(0, seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const parts = [h ? `${h} hour${h === 1 ? '' : 's'}` : '', m ? `${m} minute${m === 1 ? '' : 's'}` : '', `${s} second${s === 1 ? '' : 's'}`];
  return parts.filter(Boolean).join(' ');
}

export class Controls {
  readonly root: HTMLElement;
  readonly video: HTMLVideoElement;
  readonly overlay: HTMLElement;
  private readonly playButton: HTMLButtonElement;
  private readonly seek: HTMLInputElement;
  private readonly playedFill: HTMLElement;
  private readonly bufferedFill: HTMLElement;
  private readonly preview: HTMLElement;
  private readonly previewThumb: HTMLElement;
  private readonly previewTime: HTMLElement;
  private readonly time: HTMLElement;
  private readonly muteButton: HTMLButtonElement;
  private readonly volume: HTMLInputElement;
  private readonly qualityButton: HTMLButtonElement;
  private readonly qualityMenu: HTMLElement;
  private readonly fullscreenButton: HTMLButtonElement;
  private readonly spinner: HTMLElement;
  private readonly flash: HTMLElement;
  private readonly live: HTMLElement;
  private thumbnails: Thumbnails | null = null;
  private idleTimer = 0;
  private scrubbing = false;
  private qualityOptions: QualityOption[] = [];

  constructor(
    private readonly host: ControlsHost,
    heading: { title: string; subtitle: string | null },
  ) {
    this.video = h('video', { class: 'player-video', playsInline: true, preload: 'auto' });
    this.video.setAttribute('aria-hidden', 'true'); // the controls describe it; the element itself is noise
    this.spinner = h('div', { class: 'player-spinner', hidden: true, role: 'status', 'aria-label': 'Buffering' }, h('span', { class: 'spinner' }));
    this.flash = h('div', { class: 'player-flash', 'aria-hidden': 'true' });
    this.live = h('div', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
    this.overlay = h('div', { class: 'player-overlay', hidden: true });

    const back = this.button('back', 'Back to browse', () => host.exit(), 'player-back');
    const top = h(
      'div',
      { class: 'player-top' },
      back,
      h('div', { class: 'player-heading' }, h('h1', { class: 'player-title' }, heading.title), heading.subtitle ? h('p', { class: 'player-subtitle' }, heading.subtitle) : null),
    );

    this.playButton = this.button('play', 'Play', () => host.togglePlay(), 'player-play');
    this.playButton.dataset['action'] = 'play-pause';
    const back10 = this.button('replay10', 'Back 10 seconds', () => host.seekBy(-10));
    const forward10 = this.button('forward10', 'Forward 10 seconds', () => host.seekBy(10));
    this.muteButton = this.button('volume', 'Mute', () => host.setVolume(this.video.volume, !this.video.muted));
    this.volume = h('input', { class: 'volume', type: 'range', min: '0', max: '1', step: '0.05', 'aria-label': 'Volume' });
    this.volume.addEventListener('input', () => host.setVolume(Number(this.volume.value), Number(this.volume.value) === 0));
    this.time = h('span', { class: 'player-time', 'aria-hidden': 'true' }, '0:00 / 0:00');

    this.seek = h('input', { class: 'seek-input', type: 'range', min: '0', max: '0', step: '0.1', value: '0', 'aria-label': 'Seek' });
    this.playedFill = h('div', { class: 'seek-played' });
    this.bufferedFill = h('div', { class: 'seek-buffered' });
    this.previewThumb = h('div', { class: 'seek-thumb' });
    this.previewTime = h('span', { class: 'seek-time' });
    this.preview = h('div', { class: 'seek-preview', hidden: true, 'aria-hidden': 'true' }, this.previewThumb, this.previewTime);
    const seekBar = h('div', { class: 'seek' }, h('div', { class: 'seek-track' }, this.bufferedFill, this.playedFill), this.seek, this.preview);
    this.wireSeek(seekBar);

    this.qualityMenu = h('div', { class: 'menu quality-menu', role: 'menu', 'aria-label': 'Quality', hidden: true });
    this.qualityButton = this.button('settings', 'Quality: Auto', () => this.toggleQualityMenu(), 'player-quality');
    this.qualityButton.setAttribute('aria-haspopup', 'menu');
    this.qualityButton.setAttribute('aria-expanded', 'false');
    this.qualityMenu.addEventListener('keydown', (event) => this.qualityKeys(event));

    const next = host.nextEpisode;
    const nextButton = next ? this.button('next', 'Next episode', next, 'player-next') : null;
    this.fullscreenButton = this.button('fullscreen', 'Full screen', () => host.toggleFullscreen());

    const bottom = h(
      'div',
      { class: 'player-bottom' },
      seekBar,
      h(
        'div',
        { class: 'controls-row' },
        h('div', { class: 'controls-group' }, this.playButton, back10, forward10, h('div', { class: 'volume-group' }, this.muteButton, this.volume), this.time),
        h('div', { class: 'controls-title', 'aria-hidden': 'true' }, heading.title, heading.subtitle ? h('span', { class: 'muted' }, ` ${heading.subtitle}`) : null),
        h('div', { class: 'controls-group' }, nextButton, h('div', { class: 'quality' }, this.qualityButton, this.qualityMenu), this.fullscreenButton),
      ),
    );

    this.root = h(
      'div',
      {
        class: 'player',
        role: 'region',
        'aria-label': `Video player: ${heading.title}${heading.subtitle ? `, ${heading.subtitle}` : ''}`,
        tabindex: '-1',
        dataset: { state: 'loading' },
      },
      this.video,
      this.flash,
      this.spinner,
      h('div', { class: 'player-chrome' }, top, bottom),
      this.overlay,
      this.live,
    );
    this.wireActivity();
    this.root.addEventListener('keydown', (event) => this.keys(event));
    this.video.addEventListener('click', () => host.togglePlay());
    this.video.addEventListener('dblclick', () => host.toggleFullscreen());
  }

  private button(name: Parameters<typeof icon>[0], label: string, action: () => void, extra = ''): HTMLButtonElement {
    return h('button', { class: `player-button ${extra}`.trim(), type: 'button', 'aria-label': label, title: label, on: { click: action } }, icon(name));
  }

  // --- state from the player ---------------------------------------------------------------

  setState(state: 'loading' | 'playing' | 'paused' | 'buffering' | 'ended' | 'error'): void {
    this.root.dataset['state'] = state;
    const playing = state === 'playing' || state === 'buffering';
    this.playButton.replaceChildren(icon(playing ? 'pause' : 'play'));
    this.playButton.setAttribute('aria-label', playing ? 'Pause' : 'Play');
    this.playButton.title = playing ? 'Pause' : 'Play';
    this.spinner.hidden = !(state === 'buffering' || state === 'loading');
    if (!playing) this.showChrome();
  }

  updateTime(): void {
    const duration = Number.isFinite(this.video.duration) ? this.video.duration : 0;
    const current = this.video.currentTime;
    if (!this.scrubbing) {
      this.seek.max = String(duration);
      this.seek.value = String(current);
    }
    this.seek.setAttribute('aria-valuetext', `${spokenTime(current)} of ${spokenTime(duration)}`);
    this.playedFill.style.width = duration ? `${(Math.min(current, duration) / duration) * 100}%` : '0%';
    this.time.textContent = `${formatTime(current)} / ${formatTime(duration)}`;
    const ranges = this.video.buffered;
    let end = 0;
    for (let i = 0; i < ranges.length; i++) if (ranges.start(i) <= current + 0.5) end = Math.max(end, ranges.end(i));
    this.bufferedFill.style.width = duration ? `${(Math.min(end, duration) / duration) * 100}%` : '0%';
  }

  updateVolume(): void {
    const muted = this.video.muted || this.video.volume === 0;
    this.muteButton.replaceChildren(icon(muted ? 'mute' : 'volume'));
    this.muteButton.setAttribute('aria-label', muted ? 'Unmute' : 'Mute');
    this.volume.value = String(this.video.muted ? 0 : this.video.volume);
  }

  updateFullscreen(): void {
    const on = document.fullscreenElement === this.root;
    this.fullscreenButton.replaceChildren(icon(on ? 'exitFullscreen' : 'fullscreen'));
    this.fullscreenButton.setAttribute('aria-label', on ? 'Exit full screen' : 'Full screen');
  }

  setThumbnails(thumbnails: Thumbnails | null): void {
    this.thumbnails = thumbnails;
  }

  setQualityOptions(options: QualityOption[]): void {
    this.qualityOptions = options;
    const active = options.find((option) => option.active);
    const label = active?.id === 'auto' ? active.label : `Quality: ${active?.label ?? 'Auto'}`;
    this.qualityButton.setAttribute('aria-label', label);
    this.qualityButton.title = label;
    if (!this.qualityMenu.hidden) this.renderQualityMenu();
  }

  announce(message: string): void {
    this.live.textContent = message;
  }

  /** A brief centre-screen icon, as players show on play/pause/seek. */
  flashIcon(name: Parameters<typeof icon>[0], text = ''): void {
    this.flash.replaceChildren(icon(name), text ? h('span', null, text) : '');
    this.flash.classList.remove('player-flash-on');
    void this.flash.offsetWidth;
    this.flash.classList.add('player-flash-on');
  }

  // --- overlays ----------------------------------------------------------------------------

  /** Show a dialog over the video; focus goes to `focus` (or its first button). */
  showOverlay(content: HTMLElement, focus?: HTMLElement): void {
    this.overlay.replaceChildren(content);
    this.overlay.hidden = false;
    this.showChrome();
    (focus ?? content.querySelector<HTMLElement>('button, a'))?.focus();
  }

  hideOverlay(): void {
    const hadFocus = this.overlay.contains(document.activeElement);
    this.overlay.hidden = true;
    this.overlay.replaceChildren();
    if (hadFocus) this.playButton.focus();
  }

  focusPlay(): void {
    this.playButton.focus({ preventScroll: true });
  }

  // --- input -------------------------------------------------------------------------------

  private wireSeek(bar: HTMLElement): void {
    const showAt = (seconds: number, clientX: number | null) => {
      const duration = Number(this.seek.max) || 0;
      if (!duration) return;
      const rect = this.seek.getBoundingClientRect();
      const x = clientX ?? rect.left + (seconds / duration) * rect.width;
      this.preview.hidden = false;
      this.previewTime.textContent = formatTime(seconds);
      const frame = this.thumbnails ? frameAt(this.thumbnails, seconds) : null;
      if (frame) {
        const scale = 180 / frame.width;
        this.previewThumb.hidden = false;
        Object.assign(this.previewThumb.style, {
          width: `${frame.width * scale}px`,
          height: `${frame.height * scale}px`,
          backgroundImage: `url("${frame.url.replace(/"/g, '%22')}")`,
          backgroundPosition: `-${frame.x * scale}px -${frame.y * scale}px`,
          backgroundSize: `${frame.sheetWidth * scale}px ${frame.sheetHeight * scale}px`,
        });
        this.previewThumb.dataset['url'] = frame.url;
      } else this.previewThumb.hidden = true;
      const half = this.preview.offsetWidth / 2;
      const left = Math.min(Math.max(x - rect.left, half), rect.width - half);
      this.preview.style.left = `${left}px`;
    };
    const secondsAt = (clientX: number) => {
      const rect = this.seek.getBoundingClientRect();
      const fraction = Math.min(1, Math.max(0, (clientX - rect.left) / rect.width));
      return fraction * (Number(this.seek.max) || 0);
    };
    bar.addEventListener('pointermove', (event) => showAt(secondsAt(event.clientX), event.clientX));
    bar.addEventListener('pointerleave', () => {
      if (!this.scrubbing) this.preview.hidden = true;
    });
    this.seek.addEventListener('pointerdown', () => (this.scrubbing = true));
    this.seek.addEventListener('input', () => {
      const seconds = Number(this.seek.value);
      if (this.scrubbing) {
        showAt(seconds, null);
        this.playedFill.style.width = `${(seconds / (Number(this.seek.max) || 1)) * 100}%`;
      }
    });
    this.seek.addEventListener('change', () => {
      this.scrubbing = false;
      this.preview.hidden = true;
      this.host.seekTo(Number(this.seek.value));
    });
    this.seek.addEventListener('keydown', (event) => {
      // Arrow keys move 10 s (the native step would crawl), with a preview of where.
      const step = event.key === 'ArrowLeft' || event.key === 'ArrowDown' ? -10 : event.key === 'ArrowRight' || event.key === 'ArrowUp' ? 10 : 0;
      if (!step && event.key !== 'Home' && event.key !== 'End') return;
      event.preventDefault();
      event.stopPropagation();
      const duration = Number(this.seek.max) || 0;
      const target = event.key === 'Home' ? 0 : event.key === 'End' ? Math.max(0, duration - 1) : Math.min(duration, Math.max(0, this.video.currentTime + step));
      this.host.seekTo(target);
      showAt(target, null);
      window.setTimeout(() => {
        if (!this.scrubbing) this.preview.hidden = true;
      }, 1200);
    });
    this.seek.addEventListener('blur', () => (this.preview.hidden = true));
  }

  private keys(event: KeyboardEvent): void {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target as HTMLElement;
    const inControl = target.closest('button, input, [role="menu"]') !== null;
    const inOverlay = this.overlay.contains(target);
    this.showChrome();
    switch (event.key) {
      case ' ':
      case 'k':
      case 'K':
        if (inControl && event.key === ' ') return; // Space presses the focused button
        if (inOverlay) return;
        this.host.togglePlay();
        break;
      case 'ArrowLeft':
      case 'j':
        if (inControl && target instanceof HTMLInputElement) return;
        this.host.seekBy(-10);
        break;
      case 'ArrowRight':
      case 'l':
        if (inControl && target instanceof HTMLInputElement) return;
        this.host.seekBy(10);
        break;
      case 'ArrowUp':
      case 'ArrowDown': {
        if (inControl && (target instanceof HTMLInputElement || target.closest('[role="menu"]'))) return;
        const volume = Math.min(1, Math.max(0, this.video.volume + (event.key === 'ArrowUp' ? 0.1 : -0.1)));
        this.host.setVolume(volume, volume === 0);
        this.announce(`Volume ${Math.round(volume * 100)}%`);
        break;
      }
      case 'm':
      case 'M':
        this.host.setVolume(this.video.volume, !this.video.muted);
        break;
      case 'f':
      case 'F':
        this.host.toggleFullscreen();
        break;
      case 'Escape':
        if (!this.qualityMenu.hidden) {
          this.closeQualityMenu(true);
          break;
        }
        if (document.fullscreenElement) return; // the browser leaves full screen
        this.host.exit();
        break;
      default:
        return;
    }
    event.preventDefault();
  }

  private wireActivity(): void {
    const wake = () => this.showChrome();
    this.root.addEventListener('pointermove', wake);
    this.root.addEventListener('focusin', wake);
    this.root.addEventListener('pointerleave', () => this.scheduleIdle(600));
  }

  private showChrome(): void {
    this.root.classList.remove('player-idle');
    this.scheduleIdle(3000);
  }

  private scheduleIdle(ms: number): void {
    window.clearTimeout(this.idleTimer);
    this.idleTimer = window.setTimeout(() => {
      const busy = !this.qualityMenu.hidden || !this.overlay.hidden || this.scrubbing || this.video.paused;
      if (!busy) this.root.classList.add('player-idle');
    }, ms);
  }

  private toggleQualityMenu(): void {
    if (this.qualityMenu.hidden) {
      this.renderQualityMenu();
      this.qualityMenu.hidden = false;
      this.qualityButton.setAttribute('aria-expanded', 'true');
      (this.qualityMenu.querySelector<HTMLElement>('[aria-checked="true"]') ?? this.qualityMenu.querySelector<HTMLElement>('button'))?.focus();
    } else this.closeQualityMenu(true);
  }

  private closeQualityMenu(refocus: boolean): void {
    this.qualityMenu.hidden = true;
    this.qualityButton.setAttribute('aria-expanded', 'false');
    if (refocus) this.qualityButton.focus();
  }

  private renderQualityMenu(): void {
    this.qualityMenu.replaceChildren(
      h('p', { class: 'menu-heading', 'aria-hidden': 'true' }, 'Quality'),
      ...this.qualityOptions.map((option) =>
        h(
          'button',
          {
            class: 'menu-item',
            type: 'button',
            role: 'menuitemradio',
            'aria-checked': String(option.active),
            tabindex: '-1',
            dataset: { quality: String(option.id) },
            on: {
              click: () => {
                this.host.chooseQuality(option.id);
                this.closeQualityMenu(true);
              },
            },
          },
          h('span', { class: 'menu-check', 'aria-hidden': 'true' }, option.active ? icon('check') : ''),
          option.label,
        ),
      ),
    );
  }

  private qualityKeys(event: KeyboardEvent): void {
    const items = Array.from(this.qualityMenu.querySelectorAll<HTMLElement>('button'));
    const index = items.indexOf(document.activeElement as HTMLElement);
    if (event.key === 'ArrowDown') items[(index + 1) % items.length]?.focus();
    else if (event.key === 'ArrowUp') items[(index - 1 + items.length) % items.length]?.focus();
    else if (event.key === 'Escape') this.closeQualityMenu(true);
    else if (event.key === 'Tab') this.closeQualityMenu(false);
    else return;
    event.preventDefault();
    event.stopPropagation();
  }

  dispose(): void {
    window.clearTimeout(this.idleTimer);
  }
}
