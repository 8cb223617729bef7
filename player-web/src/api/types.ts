// The shapes this app selects from the schema (see ../shared/API.md).

export type Plan = 'BASIC' | 'STANDARD' | 'PREMIUM';
export type Rating = 'THUMBS_UP' | 'THUMBS_DOWN' | 'NONE';
export type RowKind =
  | 'CONTINUE_WATCHING'
  | 'TRENDING'
  | 'TOP_GENRE'
  | 'BECAUSE_YOU_WATCHED'
  | 'MY_LIST'
  | 'NEW_RELEASES'
  | 'TOP_10';

export interface Profile {
  id: string;
  name: string;
  isKids: boolean;
  maturityLevel: number;
  language: string;
  avatarUrl: string | null;
}

export interface Account {
  id: string;
  email: string;
  country: string;
  plan: Plan;
  profiles: Profile[];
  activeProfile: Profile | null;
}

export interface ProgressInfo {
  positionSeconds: number;
  durationSeconds: number;
  percentComplete: number;
}

/** A title as rows, search and grids show it. */
export interface VideoCard {
  id: string;
  title: string;
  posterUrl: string | null;
  backdropUrl: string | null;
  maturityLevel: number;
  rating: string;
  releaseYear?: number | null;
  genres?: string[];
  type?: 'MOVIE' | 'SERIES';
  progress?: { percentComplete: number } | null;
}

export interface Episode {
  id: string;
  episodeNumber: number;
  title: string;
  description: string;
  durationMinutes: number | null;
  progress: ProgressInfo | null;
}

export interface Season {
  id: string;
  seasonNumber: number;
  title: string;
  episodes: Episode[];
}

export interface VideoDetail extends VideoCard {
  type: 'MOVIE' | 'SERIES';
  releaseYear: number | null;
  durationMinutes: number | null;
  genres: string[];
  description: string;
  seasons: Season[];
  progress: ProgressInfo | null;
  inMyList: boolean;
  myRating: Rating;
  similar?: VideoCard[];
}

export interface Row {
  id: string;
  kind: RowKind;
  title: string;
  items: VideoCard[];
}

export interface ContinueWatchingItem {
  video: VideoCard;
  episode: { id: string; title: string; episodeNumber: number } | null;
  percentComplete: number;
  positionSeconds: number;
  durationSeconds: number;
}

export interface Connection<T> {
  edges: { node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

export interface Playback {
  dashUrl: string;
  hlsUrl: string | null;
  representations: { id: string; bandwidth: number; width: number; height: number; codecs: string }[];
  resumePositionSeconds: number;
  abr: { headroom: number; ewmaAlpha: number; bufferSafetySeconds: number };
  drm: { keySystem: string; licenseUrl: string } | null;
  thumbnails: Thumbnails | null;
}

export interface Thumbnails {
  url: string;
  /** Every tile image in order, when the server lists them (signed URLs cannot be patterns). */
  tileUrls?: string[];
  interval: number;
  width: number;
  height: number;
  columns: number;
  rows: number;
}
