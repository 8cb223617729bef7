// Flix's adaptive-bitrate rule, as a shaka-player AbrManager.
//
// The rule (the server sends its three numbers with every `playback`, so experiments can
// tune them):
//   * bandwidth estimate: an EWMA of per-segment throughput, weight `ewmaAlpha` on the
//     newest sample;
//   * pick the highest variant whose bandwidth <= estimate x `headroom`;
//   * but while the buffer ahead of the playhead is under `bufferSafetySeconds`, take the
//     lowest variant (it refills the buffer fastest).

import type shaka from 'shaka-player/dist/shaka-player.dash.js';
import type { Playback } from '../api/types';

/** `playback.abr`, as the schema's AbrSettings type has it. */
export type AbrSettings = Playback['abr'];

export const DEFAULT_ABR: AbrSettings = { headroom: 0.8, ewmaAlpha: 0.3, bufferSafetySeconds: 10 };

/** Segments this small finish before TCP ramps up; their throughput says little. */
const MIN_SAMPLE_BYTES = 16_000;
/** Upgrades wait this long after any switch; downgrades never wait. */
const MIN_UPGRADE_INTERVAL_MS = 2_000;
const BUFFER_CHECK_MS = 500;

export class EwmaEstimator {
  private value: number | null = null;

  constructor(private readonly alpha: number) {}

  /** A throughput sample in bits per second. */
  sample(bitsPerSecond: number): void {
    if (!Number.isFinite(bitsPerSecond) || bitsPerSecond <= 0) return;
    this.value = this.value === null ? bitsPerSecond : this.alpha * bitsPerSecond + (1 - this.alpha) * this.value;
  }

  get estimate(): number | null {
    return this.value;
  }
}

/**
 * The rule itself, over variants sorted by ascending bandwidth. `bufferAhead` is seconds of
 * media buffered past the playhead; `Infinity` when everything up to the end is buffered.
 */
export function chooseByRule<V extends { bandwidth: number }>(
  ascending: readonly V[],
  estimate: number,
  bufferAhead: number,
  settings: AbrSettings,
): V | undefined {
  const lowest = ascending[0];
  if (!lowest) return undefined;
  if (bufferAhead < settings.bufferSafetySeconds) return lowest;
  const budget = estimate * settings.headroom;
  let choice = lowest;
  for (const variant of ascending) {
    if (variant.bandwidth <= budget) choice = variant;
    else break;
  }
  return choice;
}

/** Seconds buffered ahead of the playhead; Infinity once the buffer reaches the end. */
export function bufferAheadOf(media: HTMLMediaElement | null): number {
  if (!media) return 0;
  const time = media.currentTime;
  const ranges = media.buffered;
  for (let i = 0; i < ranges.length; i++) {
    // A small tolerance: the playhead can sit a hair before a range's start after a seek.
    if (ranges.start(i) <= time + 0.25 && time <= ranges.end(i)) {
      const end = ranges.end(i);
      if (Number.isFinite(media.duration) && end >= media.duration - 0.5) return Infinity;
      return end - time;
    }
  }
  return 0;
}

export interface AbrObserver {
  /** Every decision, for the on-screen stats and tests. */
  onDecision?(variant: shaka.extern.Variant, reason: 'start' | 'bandwidth' | 'buffer'): void;
}

export class FlixAbrManager implements shaka.extern.AbrManager {
  private switchCallback: shaka.extern.AbrManager.SwitchCallback | null = null;
  private variants: shaka.extern.Variant[] = [];
  private enabled = false;
  private media: HTMLMediaElement | null = null;
  private config: shaka.extern.AbrConfiguration | null = null;
  private current: shaka.extern.Variant | null = null;
  private lastSwitchAt = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly estimator: EwmaEstimator;

  constructor(
    private readonly settings: AbrSettings,
    private readonly observer: AbrObserver = {},
  ) {
    this.estimator = new EwmaEstimator(settings.ewmaAlpha);
  }

  init(
    switchCallback: shaka.extern.AbrManager.SwitchCallback,
    _disableStreamCallback?: shaka.extern.AbrManager.DisableStreamCallback,
  ): void {
    this.switchCallback = switchCallback;
  }

  stop(): void {
    this.stopTimer();
    this.variants = [];
    this.current = null;
  }

  release(): void {
    this.stop();
    this.switchCallback = null;
    this.media = null;
  }

  configure(config: shaka.extern.AbrConfiguration): void {
    this.config = config;
  }

  setVariants(variants: shaka.extern.Variant[], _isLowLatency?: boolean): boolean {
    const next = [...variants].sort((a, b) => a.bandwidth - b.bandwidth);
    const changed = next.length !== this.variants.length || next.some((variant, i) => variant.id !== this.variants[i]?.id);
    this.variants = next;
    return changed;
  }

  chooseVariant(): shaka.extern.Variant {
    const choice = this.decide();
    if (!choice) throw new Error('FlixAbrManager: no variants to choose from');
    this.current = choice;
    this.lastSwitchAt = performance.now();
    this.observer.onDecision?.(choice, 'start');
    return choice;
  }

  enable(): void {
    this.enabled = true;
    this.stopTimer();
    // Downloads stall exactly when the buffer drains, so the buffer rule cannot wait for
    // the next segment to finish: check it on a clock too.
    this.timer = setInterval(() => this.suggest(), BUFFER_CHECK_MS);
  }

  disable(): void {
    this.enabled = false;
    this.stopTimer();
  }

  segmentDownloaded(deltaTimeMs: number, numBytes: number, allowSwitch: boolean): void {
    if (numBytes >= MIN_SAMPLE_BYTES && deltaTimeMs > 0) {
      this.estimator.sample((numBytes * 8 * 1000) / deltaTimeMs);
    }
    if (allowSwitch) this.suggest();
  }

  getBandwidthEstimate(): number {
    return this.estimator.estimate ?? this.defaultEstimate();
  }

  playbackRateChanged(): void {}

  setMediaElement(mediaElement: HTMLMediaElement | null): void {
    this.media = mediaElement;
  }

  setCmsdManager(): void {}

  trySuggestStreams(): void {
    this.suggest();
  }

  private defaultEstimate(): number {
    return this.config?.defaultBandwidthEstimate ?? 1e6;
  }

  /** Variants the application's restrictions allow (all of them, if none do). */
  private allowed(): shaka.extern.Variant[] {
    const r = this.config?.restrictions;
    const now = Date.now() / 1000;
    const usable = this.variants.filter((variant) => !(variant.disabledUntilTime > now));
    if (!r) return usable;
    const fits = usable.filter((variant) => {
      const video = variant.video;
      const width = video?.width ?? 0;
      const height = video?.height ?? 0;
      return (
        variant.bandwidth >= r.minBandwidth &&
        variant.bandwidth <= r.maxBandwidth &&
        (!video || (width >= r.minWidth && width <= r.maxWidth && height >= r.minHeight && height <= r.maxHeight))
      );
    });
    return fits.length ? fits : usable;
  }

  private decide(): shaka.extern.Variant | undefined {
    return chooseByRule(this.allowed(), this.getBandwidthEstimate(), bufferAheadOf(this.media), this.settings);
  }

  private suggest(): void {
    if (!this.enabled || !this.switchCallback || !this.variants.length) return;
    const choice = this.decide();
    if (!choice || choice === this.current) return;
    const now = performance.now();
    const upgrade = !this.current || choice.bandwidth > this.current.bandwidth;
    if (upgrade && now - this.lastSwitchAt < MIN_UPGRADE_INTERVAL_MS) return;
    const reason = bufferAheadOf(this.media) < this.settings.bufferSafetySeconds ? 'buffer' : 'bandwidth';
    this.current = choice;
    this.lastSwitchAt = now;
    this.observer.onDecision?.(choice, reason);
    this.switchCallback(choice, false);
  }

  private stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
