// Every operation the app sends. Values always travel as variables, never spliced in.

import { gql, request, type RequestOptions } from './client';
import { features } from './features';
import type {
  Account,
  Connection,
  ContinueWatchingItem,
  Plan,
  Profile,
  Rating,
  Row,
  VideoCard,
  VideoDetail,
} from './types';

const PROFILE = 'id name isKids maturityLevel language avatarUrl';
const ACCOUNT = `id email country plan profiles { ${PROFILE} } activeProfile { ${PROFILE} }`;
const CARD = 'id title posterUrl backdropUrl maturityLevel rating';

// --- identity and profiles ----------------------------------------------------------------

export async function me(): Promise<Account | null> {
  return (await gql<{ me: Account | null }>(`{ me { ${ACCOUNT} } }`)).me;
}

export async function login(email: string, password: string): Promise<Account> {
  const data = await gql<{ login: { account: Account } | null }>(
    `mutation($email: String!, $password: String!) {
      login(email: $email, password: $password) { account { ${ACCOUNT} } }
    }`,
    { email, password },
  );
  if (!data.login) throw new Error('Sign-in failed.');
  return data.login.account;
}

export interface Registration {
  email: string;
  password: string;
  country: string;
  plan: Plan;
}

export async function register(input: Registration): Promise<Account> {
  const data = await gql<{ register: { account: Account } }>(
    `mutation($input: RegisterInput!) { register(input: $input) { account { ${ACCOUNT} } } }`,
    { input },
  );
  return data.register.account;
}

export async function logout(): Promise<void> {
  await gql<{ logout: boolean }>('mutation { logout }');
}

export interface ProfileFields {
  name: string;
  isKids: boolean;
  maturityLevel: number;
}

export async function createProfile(fields: ProfileFields): Promise<Profile> {
  const data = await gql<{ createProfile: Profile }>(
    `mutation($input: CreateProfileInput!) { createProfile(input: $input) { ${PROFILE} } }`,
    { input: fields },
  );
  return data.createProfile;
}

export async function updateProfile(id: string, fields: ProfileFields): Promise<Profile> {
  const data = await gql<{ updateProfile: Profile }>(
    `mutation($id: ID!, $input: UpdateProfileInput!) {
      updateProfile(id: $id, input: $input) { ${PROFILE} }
    }`,
    { id, input: fields },
  );
  return data.updateProfile;
}

export async function deleteProfile(id: string): Promise<void> {
  await gql<{ deleteProfile: boolean }>('mutation($id: ID!) { deleteProfile(id: $id) }', { id });
}

export async function selectProfile(id: string): Promise<Profile> {
  const data = await gql<{ selectProfile: Profile }>(
    `mutation($id: ID!) { selectProfile(id: $id) { ${PROFILE} } }`,
    { id },
  );
  return data.selectProfile;
}

// --- browsing ------------------------------------------------------------------------------

export interface HomeData {
  /** PERSONALIZED, or CACHE / LAST_GOOD / GENERIC when the server fell back. */
  source: string;
  rows: Row[];
  continueWatching: ContinueWatchingItem[];
}

export async function homepage(rows = 10, itemsPerRow = 20): Promise<HomeData> {
  // Continue Watching is asked for separately so that a failure there (or a missing field)
  // still leaves the rows to show.
  const { data, errors } = await request<{
    homepage: { source: string; rows: Row[] } | null;
    continueWatching: ContinueWatchingItem[] | null;
  }>(
    `query($rows: Int, $items: Int) {
      homepage(rows: $rows, itemsPerRow: $items) {
        source
        rows { id kind title items { ${CARD} releaseYear genres type progress { percentComplete } } }
      }
      continueWatching(first: 20) {
        video { ${CARD} }
        episode { id title episodeNumber }
        percentComplete positionSeconds durationSeconds
      }
    }`,
    { rows, items: itemsPerRow },
  );
  if (!data?.homepage) throw errors[0] ?? new Error('The homepage did not load.');
  return { source: data.homepage.source, rows: data.homepage.rows, continueWatching: data.continueWatching ?? [] };
}

export async function heroDetails(id: string): Promise<VideoDetail | null> {
  const data = await gql<{ video: VideoDetail | null }>(
    `query($id: ID!) { video(id: $id) {
      ${CARD} type releaseYear durationMinutes genres description inMyList myRating
      progress { positionSeconds durationSeconds percentComplete }
      seasons { id seasonNumber title episodes { id } }
    } }`,
    { id },
  );
  return data.video;
}

export async function search(
  query: string,
  first: number,
  options: RequestOptions = {},
): Promise<Connection<VideoCard>> {
  const data = await gql<{ search: Connection<VideoCard> }>(
    `query($q: String!, $first: Int) { search(query: $q, first: $first) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { node { ${CARD} releaseYear genres type } }
    } }`,
    { q: query, first },
    options,
  );
  return data.search;
}

export async function myList(first = 100): Promise<Connection<VideoCard>> {
  const data = await gql<{ myList: Connection<VideoCard> }>(
    `query($first: Int) { myList(first: $first) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { node { ${CARD} releaseYear genres type } }
    } }`,
    { first },
  );
  return data.myList;
}

export async function videosInGenre(genre: string, first: number): Promise<VideoCard[]> {
  const data = await gql<{ videos: Connection<VideoCard> }>(
    `query($genre: String, $first: Int) { videos(genre: $genre, first: $first) {
      edges { node { ${CARD} releaseYear genres type } }
    } }`,
    { genre, first },
  );
  return data.videos.edges.map((edge) => edge.node);
}

const EPISODE = `id episodeNumber title description durationMinutes
  progress { positionSeconds durationSeconds percentComplete }`;

export async function title(id: string): Promise<VideoDetail | null> {
  const { similar } = await features();
  const similarSelection = similar ? `similar(first: 12) { ${CARD} releaseYear genres type }` : '';
  const { data, errors } = await request<{ video: VideoDetail | null }>(
    `query($id: ID!) { video(id: $id) {
      ${CARD} type releaseYear durationMinutes genres description inMyList myRating
      progress { positionSeconds durationSeconds percentComplete }
      seasons { id seasonNumber title episodes { ${EPISODE} } }
      ${similarSelection}
    } }`,
    { id },
  );
  // "More like this" failing is no reason to fail the page.
  const fatal = errors.find((error) => !(error.path ?? []).includes('similar'));
  if (fatal) throw fatal;
  if (!data) throw errors[0] ?? new Error('The title did not load.');
  return data.video;
}

export async function setInMyList(videoId: string, add: boolean): Promise<boolean> {
  const field = add ? 'addToMyList' : 'removeFromMyList';
  const data = await gql<Record<string, { inMyList: boolean }>>(
    `mutation($id: ID!) { result: ${field}(videoId: $id) { id inMyList } }`,
    { id: videoId },
  );
  return data['result']?.inMyList ?? add;
}

export async function rateTitle(videoId: string, rating: Rating): Promise<Rating> {
  const data = await gql<{ rateTitle: { myRating: Rating } }>(
    `mutation($id: ID!, $rating: Rating!) { rateTitle(videoId: $id, rating: $rating) { id myRating } }`,
    { id: videoId, rating },
  );
  return data.rateTitle.myRating;
}
