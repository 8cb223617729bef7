import { afterEach, describe, expect, it, vi } from 'vitest';
import type shaka from 'shaka-player/dist/shaka-player.dash.js';
import { chooseByRule, EwmaEstimator, FlixAbrManager } from './abr';

const SETTINGS = { headroom: 0.8, ewmaAlpha: 0.3, bufferSafetySeconds: 10 };
const LADDER = [235_000, 560_000, 1_050_000, 2_350_000, 3_000_000].map((bandwidth) => ({ bandwidth }));

describe('EwmaEstimator', () => {
  it('starts at the first sample, then weights the newest by alpha', () => {
    const ewma = new EwmaEstimator(0.3);
    expect(ewma.estimate).toBeNull();
    ewma.sample(1_000_000);
    expect(ewma.estimate).toBe(1_000_000);
    ewma.sample(2_000_000);
    expect(ewma.estimate).toBeCloseTo(0.3 * 2_000_000 + 0.7 * 1_000_000);
  });

  it('ignores samples that are not positive finite numbers', () => {
    const ewma = new EwmaEstimator(0.5);
    ewma.sample(Number.NaN);
    ewma.sample(0);
    ewma.sample(Number.POSITIVE_INFINITY);
    expect(ewma.estimate).toBeNull();
  });
});

describe('chooseByRule', () => {
  it('picks the highest rung within estimate x headroom', () => {
    // 3 Mbps x 0.8 = 2.4 Mbps: 2.35 fits, 3.0 does not.
    expect(chooseByRule(LADDER, 3_000_000, 30, SETTINGS)?.bandwidth).toBe(2_350_000);
    expect(chooseByRule(LADDER, 1_000_000, 30, SETTINGS)?.bandwidth).toBe(560_000);
  });

  it('takes the lowest rung while the buffer is under the safety margin', () => {
    expect(chooseByRule(LADDER, 50_000_000, 9.9, SETTINGS)?.bandwidth).toBe(235_000);
    expect(chooseByRule(LADDER, 50_000_000, 10, SETTINGS)?.bandwidth).toBe(3_000_000);
  });

  it('falls back to the lowest rung when nothing fits, and to nothing without rungs', () => {
    expect(chooseByRule(LADDER, 100_000, 30, SETTINGS)?.bandwidth).toBe(235_000);
    expect(chooseByRule([], 1e9, 30, SETTINGS)).toBeUndefined();
  });
});

function variant(id: number, bandwidth: number, height: number): shaka.extern.Variant {
  return {
    id,
    bandwidth,
    video: { height, width: Math.round((height * 16) / 9) } as shaka.extern.Stream,
    audio: null,
    allowedByApplication: true,
    allowedByKeySystem: true,
    decodingInfos: [],
    disabledUntilTime: 0,
    language: 'und',
    primary: false,
  };
}

/** A media element stub whose buffer reaches `ahead` seconds past the playhead. */
function media(ahead: { seconds: number }): HTMLMediaElement {
  return {
    currentTime: 50,
    duration: 600,
    get buffered() {
      return { length: 1, start: () => 40, end: () => 50 + ahead.seconds };
    },
  } as unknown as HTMLMediaElement;
}

describe('FlixAbrManager', () => {
  afterEach(() => vi.useRealTimers());

  it('starts on the lowest rung, climbs with bandwidth, and drops when the buffer runs low', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'performance', 'Date'] });
    const switches: number[] = [];
    const manager = new FlixAbrManager(SETTINGS);
    const buffer = { seconds: 0 };
    manager.init((chosen) => switches.push(chosen.bandwidth), () => undefined);
    manager.setMediaElement(media(buffer));
    const ladder = [variant(3, 3_000_000, 720), variant(1, 560_000, 360), variant(2, 1_050_000, 480)];
    expect(manager.setVariants(ladder, false)).toBe(true);
    expect(manager.setVariants([...ladder].reverse(), false)).toBe(false);

    expect(manager.chooseVariant().bandwidth).toBe(560_000); // empty buffer
    manager.enable();

    // 2 MB in 1 s = 16 Mbps; with 20 s buffered the top rung fits (after the upgrade pause).
    buffer.seconds = 20;
    vi.advanceTimersByTime(2_500);
    manager.segmentDownloaded(1000, 2_000_000, true);
    expect(switches.at(-1)).toBe(3_000_000);
    expect(manager.getBandwidthEstimate()).toBe(16_000_000);

    // The buffer drains below 10 s: the clock check drops to the lowest rung at once.
    buffer.seconds = 4;
    vi.advanceTimersByTime(600);
    expect(switches.at(-1)).toBe(560_000);

    // Slow samples pull the estimate down: 1 Mbps samples converge under 1.05 / 0.8.
    buffer.seconds = 25;
    for (let i = 0; i < 12; i++) manager.segmentDownloaded(1000, 125_000, true);
    vi.advanceTimersByTime(2_500);
    expect(manager.getBandwidthEstimate()).toBeLessThan(1_300_000);
    expect(switches.at(-1)).toBe(560_000);

    manager.disable();
    const count = switches.length;
    buffer.seconds = 0;
    vi.advanceTimersByTime(5_000);
    expect(switches.length).toBe(count); // disabled: no suggestions
    manager.release();
  });

  it('respects the application restrictions', () => {
    const manager = new FlixAbrManager(SETTINGS);
    manager.init(() => undefined, () => undefined);
    manager.setMediaElement(media({ seconds: 30 }));
    manager.configure({
      restrictions: { minWidth: 0, maxWidth: Infinity, minHeight: 0, maxHeight: 480, minBandwidth: 0, maxBandwidth: Infinity },
      defaultBandwidthEstimate: 50_000_000,
    } as unknown as shaka.extern.AbrConfiguration);
    manager.setVariants([variant(1, 560_000, 360), variant(2, 1_050_000, 480), variant(3, 3_000_000, 720)], false);
    expect(manager.chooseVariant().bandwidth).toBe(1_050_000);
  });
});
