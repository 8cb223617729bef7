// The `playback` query: manifests, rungs, resume point, ABR settings, DRM and thumbnails.

import { gql } from '../api/client';
import { graphql } from '../api/generated';
import type { Playback } from '../api/types';
import { capabilities, deviceInput } from './device';

const PLAYBACK = graphql(`
  query Playback($id: ID!, $episode: ID, $device: DeviceInput) {
    playback(videoId: $id, episodeId: $episode, device: $device) {
      dashUrl
      hlsUrl
      representations {
        id
        bandwidth
        width
        height
        codecs
      }
      resumePositionSeconds
      abr {
        headroom
        ewmaAlpha
        bufferSafetySeconds
      }
      drm {
        keySystem
        licenseUrl
      }
      thumbnails {
        url
        tileUrls
        interval
        width
        height
        columns
        rows
      }
    }
  }
`);

/** A resume point further in than this asks "Resume or start over?" instead of playing. */
export const RESUME_PROMPT_MIN_S = 10;

export async function fetchPlayback(videoId: string, episodeId: string | null): Promise<Playback> {
  const device = deviceInput(await capabilities());
  return (await gql(PLAYBACK, { id: videoId, episode: episodeId, device })).playback;
}
