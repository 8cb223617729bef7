// Every operation the app's screens send (the player's own are in src/player/). Each is a
// literal `graphql()` document that codegen (`npm run codegen`) types from ../schema.graphql.
// Values always travel as variables, never spliced in. The mutations the seed's retry design
// names (createProfile, addToMyList, rateTitle; playback events in src/player/telemetry.ts)
// go through mutateOnce: an Idempotency-Key, and retries that reuse it.

import { gql, mutateOnce, request, type RequestOptions } from './client';
import { graphql } from './generated';
import type {
  CreateProfileInput,
  HeroDetailsQuery,
  MyListQuery,
  PageSource,
  Rating,
  RegisterInput,
  SearchQuery,
  UpdateProfileInput,
} from './generated/graphql';
import type { Account, ContinueWatchingItem, Profile, Row, VideoDetail } from './types';

// The selections the screens share. With fragment masking off they are plain field lists.
graphql(`
  fragment ProfileParts on Profile {
    id
    name
    isKids
    maturityLevel
    language
    avatarUrl
    locked
  }
`);

graphql(`
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
`);

graphql(`
  fragment CardParts on Video {
    id
    title
    posterUrl
    backdropUrl
    maturityLevel
    rating
  }
`);

graphql(`
  fragment CardFactsParts on Video {
    ...CardParts
    releaseYear
    genres
    type
  }
`);

graphql(`
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
`);

// --- identity and profiles ----------------------------------------------------------------

const ME = graphql(`
  query Me {
    me {
      ...AccountParts
    }
  }
`);

export async function me(): Promise<Account | null> {
  return (await gql(ME, {})).me;
}

const LOGIN = graphql(`
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      account {
        ...AccountParts
      }
    }
  }
`);

export async function login(email: string, password: string): Promise<Account> {
  const data = await gql(LOGIN, { email, password });
  if (!data.login) throw new Error('Sign-in failed.');
  return data.login.account;
}

const REGISTER = graphql(`
  mutation Register($input: RegisterInput!) {
    register(input: $input) {
      account {
        ...AccountParts
      }
    }
  }
`);

export async function register(input: RegisterInput): Promise<Account> {
  return (await gql(REGISTER, { input })).register.account;
}

const LOGOUT = graphql(`
  mutation Logout {
    logout
  }
`);

export async function logout(): Promise<void> {
  await gql(LOGOUT, {});
}

const CREATE_PROFILE = graphql(`
  mutation CreateProfile($input: CreateProfileInput!) {
    createProfile(input: $input) {
      ...ProfileParts
    }
  }
`);

export async function createProfile(fields: CreateProfileInput): Promise<Profile> {
  return (await mutateOnce(CREATE_PROFILE, { input: fields })).createProfile;
}

const UPDATE_PROFILE = graphql(`
  mutation UpdateProfile($id: ID!, $input: UpdateProfileInput!) {
    updateProfile(id: $id, input: $input) {
      ...ProfileParts
    }
  }
`);

export async function updateProfile(id: string, fields: UpdateProfileInput): Promise<Profile> {
  return (await gql(UPDATE_PROFILE, { id, input: fields })).updateProfile;
}

const DELETE_PROFILE = graphql(`
  mutation DeleteProfile($id: ID!) {
    deleteProfile(id: $id)
  }
`);

export async function deleteProfile(id: string): Promise<void> {
  await gql(DELETE_PROFILE, { id });
}

const SELECT_PROFILE = graphql(`
  mutation SelectProfile($id: ID!, $pin: String, $password: String) {
    selectProfile(id: $id, pin: $pin, password: $password) {
      ...ProfileParts
    }
  }
`);

/** What lets this session in: a locked profile's PIN, or the account password to leave a
 *  kids profile (ui/unlock.ts asks for it). */
export interface ProfileProof {
  pin?: string;
  password?: string;
}

export async function selectProfile(id: string, proof: ProfileProof = {}): Promise<Profile> {
  return (await gql(SELECT_PROFILE, { id, ...proof })).selectProfile;
}

// --- browsing ------------------------------------------------------------------------------

export interface HomeData {
  /** PERSONALIZED, or CACHE / LAST_GOOD / GENERIC when the server fell back. */
  source: PageSource;
  rows: Row[];
  continueWatching: ContinueWatchingItem[];
}

// Continue Watching is asked for next to the rows, and a failure there (or a missing
// field) still leaves the rows to show.
const HOMEPAGE = graphql(`
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
`);

export async function homepage(rows = 10, itemsPerRow = 20): Promise<HomeData> {
  const { data, errors } = await request(HOMEPAGE, { rows, items: itemsPerRow });
  if (!data?.homepage) throw errors[0] ?? new Error('The homepage did not load.');
  return { source: data.homepage.source, rows: data.homepage.rows, continueWatching: data.continueWatching ?? [] };
}

const HERO_DETAILS = graphql(`
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
`);

export async function heroDetails(id: string): Promise<HeroDetailsQuery['video']> {
  return (await gql(HERO_DETAILS, { id })).video;
}

const SEARCH = graphql(`
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
`);

export async function search(query: string, first: number, options: RequestOptions = {}): Promise<SearchQuery['search']> {
  return (await gql(SEARCH, { q: query, first }, options)).search;
}

const MY_LIST = graphql(`
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
`);

export async function myList(first = 100): Promise<MyListQuery['myList']> {
  return (await gql(MY_LIST, { first })).myList;
}

const TITLE = graphql(`
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
`);

let lastTitle: { id: string; at: number; video: VideoDetail } | null = null;

export async function title(id: string): Promise<VideoDetail | null> {
  const { data, errors } = await request(TITLE, { id });
  // "More like this" failing is no reason to fail the page.
  const fatal = errors.find((error) => !(error.path ?? []).includes('similar'));
  if (fatal) throw fatal;
  if (!data) throw errors[0] ?? new Error('The title did not load.');
  if (data.video) lastTitle = { id, at: performance.now(), video: data.video };
  return data.video;
}

/** The title as `title(id)` answered it less than `maxAgeMs` ago (the page Play was on). */
export function recentTitle(id: string, maxAgeMs: number): VideoDetail | null {
  return lastTitle?.id === id && performance.now() - lastTitle.at < maxAgeMs ? lastTitle.video : null;
}

const ADD_TO_MY_LIST = graphql(`
  mutation AddToMyList($id: ID!) {
    addToMyList(videoId: $id) {
      id
      inMyList
    }
  }
`);

const REMOVE_FROM_MY_LIST = graphql(`
  mutation RemoveFromMyList($id: ID!) {
    removeFromMyList(videoId: $id) {
      id
      inMyList
    }
  }
`);

export async function setInMyList(videoId: string, add: boolean): Promise<boolean> {
  if (add) return (await mutateOnce(ADD_TO_MY_LIST, { id: videoId })).addToMyList.inMyList;
  return (await gql(REMOVE_FROM_MY_LIST, { id: videoId })).removeFromMyList.inMyList;
}

const RATE_TITLE = graphql(`
  mutation RateTitle($id: ID!, $rating: Rating!) {
    rateTitle(videoId: $id, rating: $rating) {
      id
      myRating
    }
  }
`);

export async function rateTitle(videoId: string, rating: Rating): Promise<Rating> {
  return (await mutateOnce(RATE_TITLE, { id: videoId, rating })).rateTitle.myRating;
}
