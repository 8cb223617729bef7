/** Every `extensions.code` an error can carry. */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  CONFLICT: 'CONFLICT',
  FORBIDDEN: 'FORBIDDEN',
  INTERNAL: 'INTERNAL',
  NOT_FOUND: 'NOT_FOUND',
  PERSISTED_QUERY_NOT_ALLOWED: 'PERSISTED_QUERY_NOT_ALLOWED',
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  PERSISTED_QUERY_NOT_SUPPORTED: 'PERSISTED_QUERY_NOT_SUPPORTED',
  PROFILE_REQUIRED: 'PROFILE_REQUIRED',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  RATE_LIMITED: 'RATE_LIMITED',
  TIMEOUT: 'TIMEOUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  UNAVAILABLE: 'UNAVAILABLE'
} as const;

export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode];
/** Where a homepage came from; anything but PERSONALIZED is degraded. */
export const PageSource = {
  CACHE: 'CACHE',
  GENERIC: 'GENERIC',
  LAST_GOOD: 'LAST_GOOD',
  PERSONALIZED: 'PERSONALIZED'
} as const;

export type PageSource = typeof PageSource[keyof typeof PageSource];
/** BASIC up to 720p, STANDARD up to 1080p, PREMIUM up to 2160p. */
export const Plan = {
  BASIC: 'BASIC',
  PREMIUM: 'PREMIUM',
  STANDARD: 'STANDARD'
} as const;

export type Plan = typeof Plan[keyof typeof Plan];
export const PlaybackEventType = {
  BITRATE_SWITCH: 'BITRATE_SWITCH',
  END: 'END',
  ERROR: 'ERROR',
  FIRST_FRAME: 'FIRST_FRAME',
  REBUFFER_END: 'REBUFFER_END',
  REBUFFER_START: 'REBUFFER_START',
  START: 'START'
} as const;

export type PlaybackEventType = typeof PlaybackEventType[keyof typeof PlaybackEventType];
export const Rating = {
  NONE: 'NONE',
  THUMBS_DOWN: 'THUMBS_DOWN',
  THUMBS_UP: 'THUMBS_UP'
} as const;

export type Rating = typeof Rating[keyof typeof Rating];
export const RowKind = {
  BECAUSE_YOU_WATCHED: 'BECAUSE_YOU_WATCHED',
  CONTINUE_WATCHING: 'CONTINUE_WATCHING',
  MY_LIST: 'MY_LIST',
  NEW_RELEASES: 'NEW_RELEASES',
  TOP_10: 'TOP_10',
  TOP_GENRE: 'TOP_GENRE',
  TRENDING: 'TRENDING'
} as const;

export type RowKind = typeof RowKind[keyof typeof RowKind];
export const VideoType = {
  MOVIE: 'MOVIE',
  SERIES: 'SERIES'
} as const;

export type VideoType = typeof VideoType[keyof typeof VideoType];