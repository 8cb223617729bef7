/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type CreateProfileInput = {
  avatarUrl?: string | null | undefined;
  isKids?: boolean;
  language?: string | null | undefined;
  maturityLevel?: number | null | undefined;
  name: string;
};

export type DeviceInput = {
  /** Codec families it plays, e.g. avc1. */
  codecs?: Array<string> | null | undefined;
  /** Key systems it supports, e.g. org.w3.clearkey. */
  drm?: Array<string> | null | undefined;
  maxHeight?: number | null | undefined;
};

/** Where a homepage came from; anything but PERSONALIZED is degraded. */
export type PageSource =
  | 'CACHE'
  | 'GENERIC'
  | 'LAST_GOOD'
  | 'PERSONALIZED';

/** BASIC up to 720p, STANDARD up to 1080p, PREMIUM up to 2160p. */
export type Plan =
  | 'BASIC'
  | 'PREMIUM'
  | 'STANDARD';

export type PlaybackEventInput = {
  at: string;
  bitrateKbps?: number | null | undefined;
  durationMs?: number | null | undefined;
  episodeId?: string | null | undefined;
  errorCode?: string | null | undefined;
  message?: string | null | undefined;
  playbackSessionId?: string | null | undefined;
  positionSeconds?: number | null | undefined;
  type: PlaybackEventType;
  videoId: string;
};

export type PlaybackEventType =
  | 'BITRATE_SWITCH'
  | 'END'
  | 'ERROR'
  | 'FIRST_FRAME'
  | 'REBUFFER_END'
  | 'REBUFFER_START'
  | 'START';

export type ProgressInput = {
  clientTimestamp: string;
  deviceId: string;
  durationSeconds: number;
  episodeId?: string | null | undefined;
  positionSeconds: number;
  videoId: string;
};

export type Rating =
  | 'NONE'
  | 'THUMBS_DOWN'
  | 'THUMBS_UP';

export type RegisterInput = {
  /** ISO 3166 two-letter country code. */
  country: string;
  email: string;
  password: string;
  plan: Plan;
};

export type RowKind =
  | 'BECAUSE_YOU_WATCHED'
  | 'CONTINUE_WATCHING'
  | 'MY_LIST'
  | 'NEW_RELEASES'
  | 'TOP_10'
  | 'TOP_GENRE'
  | 'TRENDING';

export type UpdateProfileInput = {
  avatarUrl?: string | null | undefined;
  isKids?: boolean | null | undefined;
  language?: string | null | undefined;
  maturityLevel?: number | null | undefined;
  name?: string | null | undefined;
};

export type VideoType =
  | 'MOVIE'
  | 'SERIES';

export type ProfilePartsFragment = { id: string, name: string, isKids: boolean, maturityLevel: number, language: string, avatarUrl: string | null, locked: boolean };

export type AccountPartsFragment = { id: string, email: string, country: string, plan: Plan, profiles: Array<{ id: string, name: string, isKids: boolean, maturityLevel: number, language: string, avatarUrl: string | null, locked: boolean }>, activeProfile: { id: string, name: string, isKids: boolean, maturityLevel: number, language: string, avatarUrl: string | null, locked: boolean } | null };

export type CardPartsFragment = { id: string, title: string, posterUrl: string | null, backdropUrl: string | null, maturityLevel: number, rating: string };

export type CardFactsPartsFragment = { releaseYear: number | null, genres: Array<string>, type: VideoType, id: string, title: string, posterUrl: string | null, backdropUrl: string | null, maturityLevel: number, rating: string };

export type EpisodePartsFragment = { id: string, episodeNumber: number, title: string, description: string, durationMinutes: number | null, progress: { positionSeconds: number, durationSeconds: number, percentComplete: number, completed: boolean } | null };

export type MeQueryVariables = Exact<{ [key: string]: never; }>;


export type MeQuery = { me: { id: string, email: string, country: string, plan: Plan, profiles: Array<{ id: string, name: string, isKids: boolean, maturityLevel: number, language: string, avatarUrl: string | null, locked: boolean }>, activeProfile: { id: string, name: string, isKids: boolean, maturityLevel: number, language: string, avatarUrl: string | null, locked: boolean } | null } | null };

export type LoginMutationVariables = Exact<{
  email: string;
  password: string;
}>;


export type LoginMutation = { login: { account: { id: string, email: string, country: string, plan: Plan, profiles: Array<{ id: string, name: string, isKids: boolean, maturityLevel: number, language: string, avatarUrl: string | null, locked: boolean }>, activeProfile: { id: string, name: string, isKids: boolean, maturityLevel: number, language: string, avatarUrl: string | null, locked: boolean } | null } } | null };

export type RegisterMutationVariables = Exact<{
  input: RegisterInput;
}>;


export type RegisterMutation = { register: { account: { id: string, email: string, country: string, plan: Plan, profiles: Array<{ id: string, name: string, isKids: boolean, maturityLevel: number, language: string, avatarUrl: string | null, locked: boolean }>, activeProfile: { id: string, name: string, isKids: boolean, maturityLevel: number, language: string, avatarUrl: string | null, locked: boolean } | null } } };

export type LogoutMutationVariables = Exact<{ [key: string]: never; }>;


export type LogoutMutation = { logout: boolean };

export type CreateProfileMutationVariables = Exact<{
  input: CreateProfileInput;
}>;


export type CreateProfileMutation = { createProfile: { id: string, name: string, isKids: boolean, maturityLevel: number, language: string, avatarUrl: string | null, locked: boolean } };

export type UpdateProfileMutationVariables = Exact<{
  id: string;
  input: UpdateProfileInput;
}>;


export type UpdateProfileMutation = { updateProfile: { id: string, name: string, isKids: boolean, maturityLevel: number, language: string, avatarUrl: string | null, locked: boolean } };

export type DeleteProfileMutationVariables = Exact<{
  id: string;
}>;


export type DeleteProfileMutation = { deleteProfile: boolean };

export type SelectProfileMutationVariables = Exact<{
  id: string;
  pin?: string | null | undefined;
  password?: string | null | undefined;
}>;


export type SelectProfileMutation = { selectProfile: { id: string, name: string, isKids: boolean, maturityLevel: number, language: string, avatarUrl: string | null, locked: boolean } };

export type HomepageQueryVariables = Exact<{
  rows?: number | null | undefined;
  items?: number | null | undefined;
}>;


export type HomepageQuery = { homepage: { source: PageSource, rows: Array<{ id: string, kind: RowKind, title: string, items: Array<{ releaseYear: number | null, genres: Array<string>, type: VideoType, id: string, title: string, posterUrl: string | null, backdropUrl: string | null, maturityLevel: number, rating: string, progress: { percentComplete: number } | null }> }> }, continueWatching: Array<{ percentComplete: number, positionSeconds: number, durationSeconds: number, video: { id: string, title: string, posterUrl: string | null, backdropUrl: string | null, maturityLevel: number, rating: string }, episode: { id: string, title: string, episodeNumber: number } | null }> };

export type HeroDetailsQueryVariables = Exact<{
  id: string;
}>;


export type HeroDetailsQuery = { video: { type: VideoType, releaseYear: number | null, durationMinutes: number | null, genres: Array<string>, description: string, inMyList: boolean, myRating: Rating, id: string, title: string, posterUrl: string | null, backdropUrl: string | null, maturityLevel: number, rating: string, progress: { positionSeconds: number, durationSeconds: number, percentComplete: number, completed: boolean } | null, seasons: Array<{ id: string, seasonNumber: number, title: string, episodes: Array<{ id: string }> }> } | null };

export type SearchQueryVariables = Exact<{
  q: string;
  first?: number | null | undefined;
}>;


export type SearchQuery = { search: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { releaseYear: number | null, genres: Array<string>, type: VideoType, id: string, title: string, posterUrl: string | null, backdropUrl: string | null, maturityLevel: number, rating: string } }> } };

export type MyListQueryVariables = Exact<{
  first?: number | null | undefined;
}>;


export type MyListQuery = { myList: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { releaseYear: number | null, genres: Array<string>, type: VideoType, id: string, title: string, posterUrl: string | null, backdropUrl: string | null, maturityLevel: number, rating: string } }> } };

export type TitleQueryVariables = Exact<{
  id: string;
}>;


export type TitleQuery = { video: { type: VideoType, releaseYear: number | null, durationMinutes: number | null, genres: Array<string>, description: string, inMyList: boolean, myRating: Rating, id: string, title: string, posterUrl: string | null, backdropUrl: string | null, maturityLevel: number, rating: string, progress: { positionSeconds: number, durationSeconds: number, percentComplete: number, completed: boolean } | null, upNext: { id: string } | null, seasons: Array<{ id: string, seasonNumber: number, title: string, episodes: Array<{ id: string, episodeNumber: number, title: string, description: string, durationMinutes: number | null, progress: { positionSeconds: number, durationSeconds: number, percentComplete: number, completed: boolean } | null }> }>, similar: Array<{ releaseYear: number | null, genres: Array<string>, type: VideoType, id: string, title: string, posterUrl: string | null, backdropUrl: string | null, maturityLevel: number, rating: string }> } | null };

export type AddToMyListMutationVariables = Exact<{
  id: string;
}>;


export type AddToMyListMutation = { addToMyList: { id: string, inMyList: boolean } };

export type RemoveFromMyListMutationVariables = Exact<{
  id: string;
}>;


export type RemoveFromMyListMutation = { removeFromMyList: { id: string, inMyList: boolean } };

export type RateTitleMutationVariables = Exact<{
  id: string;
  rating: Rating;
}>;


export type RateTitleMutation = { rateTitle: { id: string, myRating: Rating } };

export type PlaybackQueryVariables = Exact<{
  id: string;
  episode?: string | null | undefined;
  device?: DeviceInput | null | undefined;
}>;


export type PlaybackQuery = { playback: { dashUrl: string, hlsUrl: string, resumePositionSeconds: number, representations: Array<{ id: string, bandwidth: number, width: number | null, height: number | null, codecs: string }>, abr: { headroom: number, ewmaAlpha: number, bufferSafetySeconds: number }, drm: { keySystem: string, licenseUrl: string } | null, thumbnails: { url: string, tileUrls: Array<string>, interval: number, width: number, height: number, columns: number, rows: number } | null } };

export type UpdateProgressMutationVariables = Exact<{
  input: ProgressInput;
}>;


export type UpdateProgressMutation = { updateProgress: { positionSeconds: number } };

export type ReportPlaybackEventsMutationVariables = Exact<{
  events: Array<PlaybackEventInput> | PlaybackEventInput;
}>;


export type ReportPlaybackEventsMutation = { reportPlaybackEvents: number };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const ProfilePartsFragmentDoc = new TypedDocumentString(`
    fragment ProfileParts on Profile {
  id
  name
  isKids
  maturityLevel
  language
  avatarUrl
  locked
}
    `, {"fragmentName":"ProfileParts"}) as unknown as TypedDocumentString<ProfilePartsFragment, unknown>;
export const AccountPartsFragmentDoc = new TypedDocumentString(`
    fragment AccountParts on Account {
  id
  email
  country
  plan
  profiles {
    ...ProfileParts
  }
  activeProfile {
    ...ProfileParts
  }
}
    fragment ProfileParts on Profile {
  id
  name
  isKids
  maturityLevel
  language
  avatarUrl
  locked
}`, {"fragmentName":"AccountParts"}) as unknown as TypedDocumentString<AccountPartsFragment, unknown>;
export const CardPartsFragmentDoc = new TypedDocumentString(`
    fragment CardParts on Video {
  id
  title
  posterUrl
  backdropUrl
  maturityLevel
  rating
}
    `, {"fragmentName":"CardParts"}) as unknown as TypedDocumentString<CardPartsFragment, unknown>;
export const CardFactsPartsFragmentDoc = new TypedDocumentString(`
    fragment CardFactsParts on Video {
  ...CardParts
  releaseYear
  genres
  type
}
    fragment CardParts on Video {
  id
  title
  posterUrl
  backdropUrl
  maturityLevel
  rating
}`, {"fragmentName":"CardFactsParts"}) as unknown as TypedDocumentString<CardFactsPartsFragment, unknown>;
export const EpisodePartsFragmentDoc = new TypedDocumentString(`
    fragment EpisodeParts on Episode {
  id
  episodeNumber
  title
  description
  durationMinutes
  progress {
    positionSeconds
    durationSeconds
    percentComplete
    completed
  }
}
    `, {"fragmentName":"EpisodeParts"}) as unknown as TypedDocumentString<EpisodePartsFragment, unknown>;
export const MeDocument = new TypedDocumentString(`
    query Me {
  me {
    ...AccountParts
  }
}
    fragment ProfileParts on Profile {
  id
  name
  isKids
  maturityLevel
  language
  avatarUrl
  locked
}
fragment AccountParts on Account {
  id
  email
  country
  plan
  profiles {
    ...ProfileParts
  }
  activeProfile {
    ...ProfileParts
  }
}`) as unknown as TypedDocumentString<MeQuery, MeQueryVariables>;
export const LoginDocument = new TypedDocumentString(`
    mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    account {
      ...AccountParts
    }
  }
}
    fragment ProfileParts on Profile {
  id
  name
  isKids
  maturityLevel
  language
  avatarUrl
  locked
}
fragment AccountParts on Account {
  id
  email
  country
  plan
  profiles {
    ...ProfileParts
  }
  activeProfile {
    ...ProfileParts
  }
}`) as unknown as TypedDocumentString<LoginMutation, LoginMutationVariables>;
export const RegisterDocument = new TypedDocumentString(`
    mutation Register($input: RegisterInput!) {
  register(input: $input) {
    account {
      ...AccountParts
    }
  }
}
    fragment ProfileParts on Profile {
  id
  name
  isKids
  maturityLevel
  language
  avatarUrl
  locked
}
fragment AccountParts on Account {
  id
  email
  country
  plan
  profiles {
    ...ProfileParts
  }
  activeProfile {
    ...ProfileParts
  }
}`) as unknown as TypedDocumentString<RegisterMutation, RegisterMutationVariables>;
export const LogoutDocument = new TypedDocumentString(`
    mutation Logout {
  logout
}
    `) as unknown as TypedDocumentString<LogoutMutation, LogoutMutationVariables>;
export const CreateProfileDocument = new TypedDocumentString(`
    mutation CreateProfile($input: CreateProfileInput!) {
  createProfile(input: $input) {
    ...ProfileParts
  }
}
    fragment ProfileParts on Profile {
  id
  name
  isKids
  maturityLevel
  language
  avatarUrl
  locked
}`) as unknown as TypedDocumentString<CreateProfileMutation, CreateProfileMutationVariables>;
export const UpdateProfileDocument = new TypedDocumentString(`
    mutation UpdateProfile($id: ID!, $input: UpdateProfileInput!) {
  updateProfile(id: $id, input: $input) {
    ...ProfileParts
  }
}
    fragment ProfileParts on Profile {
  id
  name
  isKids
  maturityLevel
  language
  avatarUrl
  locked
}`) as unknown as TypedDocumentString<UpdateProfileMutation, UpdateProfileMutationVariables>;
export const DeleteProfileDocument = new TypedDocumentString(`
    mutation DeleteProfile($id: ID!) {
  deleteProfile(id: $id)
}
    `) as unknown as TypedDocumentString<DeleteProfileMutation, DeleteProfileMutationVariables>;
export const SelectProfileDocument = new TypedDocumentString(`
    mutation SelectProfile($id: ID!, $pin: String, $password: String) {
  selectProfile(id: $id, pin: $pin, password: $password) {
    ...ProfileParts
  }
}
    fragment ProfileParts on Profile {
  id
  name
  isKids
  maturityLevel
  language
  avatarUrl
  locked
}`) as unknown as TypedDocumentString<SelectProfileMutation, SelectProfileMutationVariables>;
export const HomepageDocument = new TypedDocumentString(`
    query Homepage($rows: Int, $items: Int) {
  homepage(rows: $rows, itemsPerRow: $items) {
    source
    rows {
      id
      kind
      title
      items {
        ...CardFactsParts
        progress {
          percentComplete
        }
      }
    }
  }
  continueWatching(first: 20) {
    video {
      ...CardParts
    }
    episode {
      id
      title
      episodeNumber
    }
    percentComplete
    positionSeconds
    durationSeconds
  }
}
    fragment CardParts on Video {
  id
  title
  posterUrl
  backdropUrl
  maturityLevel
  rating
}
fragment CardFactsParts on Video {
  ...CardParts
  releaseYear
  genres
  type
}`) as unknown as TypedDocumentString<HomepageQuery, HomepageQueryVariables>;
export const HeroDetailsDocument = new TypedDocumentString(`
    query HeroDetails($id: ID!) {
  video(id: $id) {
    ...CardParts
    type
    releaseYear
    durationMinutes
    genres
    description
    inMyList
    myRating
    progress {
      positionSeconds
      durationSeconds
      percentComplete
      completed
    }
    seasons {
      id
      seasonNumber
      title
      episodes {
        id
      }
    }
  }
}
    fragment CardParts on Video {
  id
  title
  posterUrl
  backdropUrl
  maturityLevel
  rating
}`) as unknown as TypedDocumentString<HeroDetailsQuery, HeroDetailsQueryVariables>;
export const SearchDocument = new TypedDocumentString(`
    query Search($q: String!, $first: Int) {
  search(query: $q, first: $first) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        ...CardFactsParts
      }
    }
  }
}
    fragment CardParts on Video {
  id
  title
  posterUrl
  backdropUrl
  maturityLevel
  rating
}
fragment CardFactsParts on Video {
  ...CardParts
  releaseYear
  genres
  type
}`) as unknown as TypedDocumentString<SearchQuery, SearchQueryVariables>;
export const MyListDocument = new TypedDocumentString(`
    query MyList($first: Int) {
  myList(first: $first) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        ...CardFactsParts
      }
    }
  }
}
    fragment CardParts on Video {
  id
  title
  posterUrl
  backdropUrl
  maturityLevel
  rating
}
fragment CardFactsParts on Video {
  ...CardParts
  releaseYear
  genres
  type
}`) as unknown as TypedDocumentString<MyListQuery, MyListQueryVariables>;
export const TitleDocument = new TypedDocumentString(`
    query Title($id: ID!) {
  video(id: $id) {
    ...CardParts
    type
    releaseYear
    durationMinutes
    genres
    description
    inMyList
    myRating
    progress {
      positionSeconds
      durationSeconds
      percentComplete
      completed
    }
    upNext {
      id
    }
    seasons {
      id
      seasonNumber
      title
      episodes {
        ...EpisodeParts
      }
    }
    similar(first: 12) {
      ...CardFactsParts
    }
  }
}
    fragment CardParts on Video {
  id
  title
  posterUrl
  backdropUrl
  maturityLevel
  rating
}
fragment CardFactsParts on Video {
  ...CardParts
  releaseYear
  genres
  type
}
fragment EpisodeParts on Episode {
  id
  episodeNumber
  title
  description
  durationMinutes
  progress {
    positionSeconds
    durationSeconds
    percentComplete
    completed
  }
}`) as unknown as TypedDocumentString<TitleQuery, TitleQueryVariables>;
export const AddToMyListDocument = new TypedDocumentString(`
    mutation AddToMyList($id: ID!) {
  addToMyList(videoId: $id) {
    id
    inMyList
  }
}
    `) as unknown as TypedDocumentString<AddToMyListMutation, AddToMyListMutationVariables>;
export const RemoveFromMyListDocument = new TypedDocumentString(`
    mutation RemoveFromMyList($id: ID!) {
  removeFromMyList(videoId: $id) {
    id
    inMyList
  }
}
    `) as unknown as TypedDocumentString<RemoveFromMyListMutation, RemoveFromMyListMutationVariables>;
export const RateTitleDocument = new TypedDocumentString(`
    mutation RateTitle($id: ID!, $rating: Rating!) {
  rateTitle(videoId: $id, rating: $rating) {
    id
    myRating
  }
}
    `) as unknown as TypedDocumentString<RateTitleMutation, RateTitleMutationVariables>;
export const PlaybackDocument = new TypedDocumentString(`
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
    `) as unknown as TypedDocumentString<PlaybackQuery, PlaybackQueryVariables>;
export const UpdateProgressDocument = new TypedDocumentString(`
    mutation UpdateProgress($input: ProgressInput!) {
  updateProgress(input: $input) {
    positionSeconds
  }
}
    `) as unknown as TypedDocumentString<UpdateProgressMutation, UpdateProgressMutationVariables>;
export const ReportPlaybackEventsDocument = new TypedDocumentString(`
    mutation ReportPlaybackEvents($events: [PlaybackEventInput!]!) {
  reportPlaybackEvents(events: $events)
}
    `) as unknown as TypedDocumentString<ReportPlaybackEventsMutation, ReportPlaybackEventsMutationVariables>;