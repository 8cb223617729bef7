// The `playback` query: manifests, rungs, resume point, ABR settings, DRM and thumbnails.

import { gql } from '../api/client';
import { features } from '../api/features';
import type { Playback } from '../api/types';
import { capabilities, deviceArgument } from './device';

function selection(tileUrls: boolean): string {
  return `dashUrl hlsUrl
    representations { id bandwidth width height codecs }
    resumePositionSeconds
    abr { headroom ewmaAlpha bufferSafetySeconds }
    drm { keySystem licenseUrl }
    thumbnails { url ${tileUrls ? 'tileUrls' : ''} interval width height columns rows }`;
}

export async function fetchPlayback(videoId: string, episodeId: string | null): Promise<Playback> {
  const found = await features();
  const variables: Record<string, unknown> = { id: videoId, episode: episodeId };
  let deviceVariable = '';
  let deviceArg = '';
  if (found.deviceInput) {
    variables['device'] = deviceArgument(found.deviceInput.fields, await capabilities());
    deviceVariable = `, $device: ${found.deviceInput.typeName}`;
    deviceArg = ', device: $device';
  }
  const data = await gql<{ playback: Playback }>(
    `query($id: ID!, $episode: ID${deviceVariable}) {
      playback(videoId: $id, episodeId: $episode${deviceArg}) { ${selection(found.tileUrls)} }
    }`,
    variables,
  );
  return data.playback;
}
