// The names the screens use for what the operations select. Every shape and vocabulary comes
// from the generated types (src/api/generated/, from ../schema.graphql); only VideoCard is
// written here, because one card renders the results of several selections.

import type {
  AccountPartsFragment,
  CardFactsPartsFragment,
  CardPartsFragment,
  HomepageQuery,
  PlaybackQuery,
  ProfilePartsFragment,
  TitleQuery,
} from './generated/graphql';

export type { Plan, Rating, RowKind, VideoType } from './generated/graphql';

export type Profile = ProfilePartsFragment;
export type Account = AccountPartsFragment;

/** A title as rows, search and grids show it: the card fields, plus any facts also selected. */
export type VideoCard = CardPartsFragment &
  Partial<Pick<CardFactsPartsFragment, 'releaseYear' | 'genres' | 'type'>> & {
    progress?: { percentComplete: number } | null;
  };

export type VideoDetail = NonNullable<TitleQuery['video']>;
export type Season = VideoDetail['seasons'][number];
export type Episode = Season['episodes'][number];

export type Row = HomepageQuery['homepage']['rows'][number];
export type ContinueWatchingItem = HomepageQuery['continueWatching'][number];

export type Playback = PlaybackQuery['playback'];
export type Thumbnails = NonNullable<Playback['thumbnails']>;
