// What this browser can play, and a stable id for this device (progress is per device).

import type { DeviceInput } from '../api/generated/graphql';

const DEVICE_KEY = 'flix.deviceId';

export function deviceId(): string {
  try {
    let id = localStorage.getItem(DEVICE_KEY);
    if (!id || !/^[A-Za-z0-9._:-]{1,64}$/.test(id)) {
      id = `web-${crypto.randomUUID()}`;
      localStorage.setItem(DEVICE_KEY, id);
    }
    return id;
  } catch {
    // Storage blocked (private mode): one id per page load still tells devices apart.
    memoryId ??= `web-${crypto.randomUUID()}`;
    return memoryId;
  }
}
let memoryId: string | undefined;

export interface Capabilities {
  maxHeight: number;
  /** Codec families MSE accepts: avc1, hvc1, av01, vp09, mp4a, ec-3. */
  codecs: string[];
  /** EME key systems available. */
  drm: string[];
}

const CODEC_PROBES: [string, string][] = [
  ['avc1', 'video/mp4; codecs="avc1.640028"'],
  ['hvc1', 'video/mp4; codecs="hvc1.1.6.L123.B0"'],
  ['av01', 'video/mp4; codecs="av01.0.08M.08"'],
  ['vp09', 'video/mp4; codecs="vp09.00.40.08"'],
  ['mp4a', 'audio/mp4; codecs="mp4a.40.2"'],
  ['ec-3', 'audio/mp4; codecs="ec-3"'],
];

const KEY_SYSTEMS = ['org.w3.clearkey', 'com.widevine.alpha'];
const HEIGHTS = [240, 360, 480, 720, 1080, 1440, 2160];

/** The smallest standard height that covers this screen: no point fetching more pixels. */
function screenHeight(): number {
  const pixels = Math.round(Math.min(screen.width * (9 / 16), screen.height) * (window.devicePixelRatio || 1));
  // Never below 720: a window dragged small should not lock a film at 360p.
  const wanted = Math.max(720, pixels);
  return HEIGHTS.find((height) => height >= wanted * 0.9) ?? 2160;
}

async function keySystems(): Promise<string[]> {
  if (!navigator.requestMediaKeySystemAccess) return [];
  const config: MediaKeySystemConfiguration[] = [
    {
      initDataTypes: ['cenc'],
      videoCapabilities: [{ contentType: 'video/mp4; codecs="avc1.42E01E"' }],
      audioCapabilities: [{ contentType: 'audio/mp4; codecs="mp4a.40.2"' }],
    },
  ];
  const found: string[] = [];
  await Promise.all(
    KEY_SYSTEMS.map(async (system) => {
      try {
        await Promise.race([
          navigator.requestMediaKeySystemAccess(system, config),
          new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 1500)),
        ]);
        found.push(system);
      } catch {
        // not available here
      }
    }),
  );
  return KEY_SYSTEMS.filter((system) => found.includes(system));
}

let cached: Promise<Capabilities> | null = null;

export function capabilities(): Promise<Capabilities> {
  cached ??= (async () => {
    const supports = (type: string) => typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported(type);
    return {
      maxHeight: screenHeight(),
      codecs: CODEC_PROBES.filter(([, type]) => supports(type)).map(([name]) => name),
      drm: await keySystems(),
    };
  })();
  return cached;
}

/** The `device` argument of `playback`: what this browser plays, for the server to pick rungs. */
export function deviceInput(caps: Capabilities): DeviceInput {
  return { maxHeight: caps.maxHeight, codecs: caps.codecs, drm: caps.drm };
}
