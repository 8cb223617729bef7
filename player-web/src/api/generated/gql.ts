/* eslint-disable */
import * as types from './graphql';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment ProfileParts on Profile {\n    id\n    name\n    isKids\n    maturityLevel\n    language\n    avatarUrl\n    locked\n  }\n": typeof types.ProfilePartsFragmentDoc,
    "\n  fragment AccountParts on Account {\n    id\n    email\n    country\n    plan\n    profiles {\n      ...ProfileParts\n    }\n    activeProfile {\n      ...ProfileParts\n    }\n  }\n": typeof types.AccountPartsFragmentDoc,
    "\n  fragment CardParts on Video {\n    id\n    title\n    posterUrl\n    backdropUrl\n    maturityLevel\n    rating\n  }\n": typeof types.CardPartsFragmentDoc,
    "\n  fragment CardFactsParts on Video {\n    ...CardParts\n    releaseYear\n    genres\n    type\n  }\n": typeof types.CardFactsPartsFragmentDoc,
    "\n  fragment EpisodeParts on Episode {\n    id\n    episodeNumber\n    title\n    description\n    durationMinutes\n    progress {\n      positionSeconds\n      durationSeconds\n      percentComplete\n      completed\n    }\n  }\n": typeof types.EpisodePartsFragmentDoc,
    "\n  query Me {\n    me {\n      ...AccountParts\n    }\n  }\n": typeof types.MeDocument,
    "\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) {\n      account {\n        ...AccountParts\n      }\n    }\n  }\n": typeof types.LoginDocument,
    "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) {\n      account {\n        ...AccountParts\n      }\n    }\n  }\n": typeof types.RegisterDocument,
    "\n  mutation Logout {\n    logout\n  }\n": typeof types.LogoutDocument,
    "\n  mutation CreateProfile($input: CreateProfileInput!) {\n    createProfile(input: $input) {\n      ...ProfileParts\n    }\n  }\n": typeof types.CreateProfileDocument,
    "\n  mutation UpdateProfile($id: ID!, $input: UpdateProfileInput!) {\n    updateProfile(id: $id, input: $input) {\n      ...ProfileParts\n    }\n  }\n": typeof types.UpdateProfileDocument,
    "\n  mutation DeleteProfile($id: ID!) {\n    deleteProfile(id: $id)\n  }\n": typeof types.DeleteProfileDocument,
    "\n  mutation SelectProfile($id: ID!, $pin: String, $password: String) {\n    selectProfile(id: $id, pin: $pin, password: $password) {\n      ...ProfileParts\n    }\n  }\n": typeof types.SelectProfileDocument,
    "\n  query Homepage($rows: Int, $items: Int) {\n    homepage(rows: $rows, itemsPerRow: $items) {\n      source\n      rows {\n        id\n        kind\n        title\n        items {\n          ...CardFactsParts\n          progress {\n            percentComplete\n          }\n        }\n      }\n    }\n    continueWatching(first: 20) {\n      video {\n        ...CardParts\n      }\n      episode {\n        id\n        title\n        episodeNumber\n      }\n      percentComplete\n      positionSeconds\n      durationSeconds\n    }\n  }\n": typeof types.HomepageDocument,
    "\n  query HeroDetails($id: ID!) {\n    video(id: $id) {\n      ...CardParts\n      type\n      releaseYear\n      durationMinutes\n      genres\n      description\n      inMyList\n      myRating\n      progress {\n        positionSeconds\n        durationSeconds\n        percentComplete\n        completed\n      }\n      seasons {\n        id\n        seasonNumber\n        title\n        episodes {\n          id\n        }\n      }\n    }\n  }\n": typeof types.HeroDetailsDocument,
    "\n  query Search($q: String!, $first: Int) {\n    search(query: $q, first: $first) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          ...CardFactsParts\n        }\n      }\n    }\n  }\n": typeof types.SearchDocument,
    "\n  query MyList($first: Int) {\n    myList(first: $first) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          ...CardFactsParts\n        }\n      }\n    }\n  }\n": typeof types.MyListDocument,
    "\n  query Title($id: ID!) {\n    video(id: $id) {\n      ...CardParts\n      type\n      releaseYear\n      durationMinutes\n      genres\n      description\n      inMyList\n      myRating\n      progress {\n        positionSeconds\n        durationSeconds\n        percentComplete\n        completed\n      }\n      upNext {\n        id\n      }\n      seasons {\n        id\n        seasonNumber\n        title\n        episodes {\n          ...EpisodeParts\n        }\n      }\n      similar(first: 12) {\n        ...CardFactsParts\n      }\n    }\n  }\n": typeof types.TitleDocument,
    "\n  mutation AddToMyList($id: ID!) {\n    addToMyList(videoId: $id) {\n      id\n      inMyList\n    }\n  }\n": typeof types.AddToMyListDocument,
    "\n  mutation RemoveFromMyList($id: ID!) {\n    removeFromMyList(videoId: $id) {\n      id\n      inMyList\n    }\n  }\n": typeof types.RemoveFromMyListDocument,
    "\n  mutation RateTitle($id: ID!, $rating: Rating!) {\n    rateTitle(videoId: $id, rating: $rating) {\n      id\n      myRating\n    }\n  }\n": typeof types.RateTitleDocument,
    "\n  query Playback($id: ID!, $episode: ID, $device: DeviceInput) {\n    playback(videoId: $id, episodeId: $episode, device: $device) {\n      dashUrl\n      hlsUrl\n      representations {\n        id\n        bandwidth\n        width\n        height\n        codecs\n      }\n      resumePositionSeconds\n      abr {\n        headroom\n        ewmaAlpha\n        bufferSafetySeconds\n      }\n      drm {\n        keySystem\n        licenseUrl\n      }\n      thumbnails {\n        url\n        tileUrls\n        interval\n        width\n        height\n        columns\n        rows\n      }\n    }\n  }\n": typeof types.PlaybackDocument,
    "\n  mutation UpdateProgress($input: ProgressInput!) {\n    updateProgress(input: $input) {\n      positionSeconds\n    }\n  }\n": typeof types.UpdateProgressDocument,
    "\n  mutation ReportPlaybackEvents($events: [PlaybackEventInput!]!) {\n    reportPlaybackEvents(events: $events)\n  }\n": typeof types.ReportPlaybackEventsDocument,
};
const documents: Documents = {
    "\n  fragment ProfileParts on Profile {\n    id\n    name\n    isKids\n    maturityLevel\n    language\n    avatarUrl\n    locked\n  }\n": types.ProfilePartsFragmentDoc,
    "\n  fragment AccountParts on Account {\n    id\n    email\n    country\n    plan\n    profiles {\n      ...ProfileParts\n    }\n    activeProfile {\n      ...ProfileParts\n    }\n  }\n": types.AccountPartsFragmentDoc,
    "\n  fragment CardParts on Video {\n    id\n    title\n    posterUrl\n    backdropUrl\n    maturityLevel\n    rating\n  }\n": types.CardPartsFragmentDoc,
    "\n  fragment CardFactsParts on Video {\n    ...CardParts\n    releaseYear\n    genres\n    type\n  }\n": types.CardFactsPartsFragmentDoc,
    "\n  fragment EpisodeParts on Episode {\n    id\n    episodeNumber\n    title\n    description\n    durationMinutes\n    progress {\n      positionSeconds\n      durationSeconds\n      percentComplete\n      completed\n    }\n  }\n": types.EpisodePartsFragmentDoc,
    "\n  query Me {\n    me {\n      ...AccountParts\n    }\n  }\n": types.MeDocument,
    "\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) {\n      account {\n        ...AccountParts\n      }\n    }\n  }\n": types.LoginDocument,
    "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) {\n      account {\n        ...AccountParts\n      }\n    }\n  }\n": types.RegisterDocument,
    "\n  mutation Logout {\n    logout\n  }\n": types.LogoutDocument,
    "\n  mutation CreateProfile($input: CreateProfileInput!) {\n    createProfile(input: $input) {\n      ...ProfileParts\n    }\n  }\n": types.CreateProfileDocument,
    "\n  mutation UpdateProfile($id: ID!, $input: UpdateProfileInput!) {\n    updateProfile(id: $id, input: $input) {\n      ...ProfileParts\n    }\n  }\n": types.UpdateProfileDocument,
    "\n  mutation DeleteProfile($id: ID!) {\n    deleteProfile(id: $id)\n  }\n": types.DeleteProfileDocument,
    "\n  mutation SelectProfile($id: ID!, $pin: String, $password: String) {\n    selectProfile(id: $id, pin: $pin, password: $password) {\n      ...ProfileParts\n    }\n  }\n": types.SelectProfileDocument,
    "\n  query Homepage($rows: Int, $items: Int) {\n    homepage(rows: $rows, itemsPerRow: $items) {\n      source\n      rows {\n        id\n        kind\n        title\n        items {\n          ...CardFactsParts\n          progress {\n            percentComplete\n          }\n        }\n      }\n    }\n    continueWatching(first: 20) {\n      video {\n        ...CardParts\n      }\n      episode {\n        id\n        title\n        episodeNumber\n      }\n      percentComplete\n      positionSeconds\n      durationSeconds\n    }\n  }\n": types.HomepageDocument,
    "\n  query HeroDetails($id: ID!) {\n    video(id: $id) {\n      ...CardParts\n      type\n      releaseYear\n      durationMinutes\n      genres\n      description\n      inMyList\n      myRating\n      progress {\n        positionSeconds\n        durationSeconds\n        percentComplete\n        completed\n      }\n      seasons {\n        id\n        seasonNumber\n        title\n        episodes {\n          id\n        }\n      }\n    }\n  }\n": types.HeroDetailsDocument,
    "\n  query Search($q: String!, $first: Int) {\n    search(query: $q, first: $first) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          ...CardFactsParts\n        }\n      }\n    }\n  }\n": types.SearchDocument,
    "\n  query MyList($first: Int) {\n    myList(first: $first) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          ...CardFactsParts\n        }\n      }\n    }\n  }\n": types.MyListDocument,
    "\n  query Title($id: ID!) {\n    video(id: $id) {\n      ...CardParts\n      type\n      releaseYear\n      durationMinutes\n      genres\n      description\n      inMyList\n      myRating\n      progress {\n        positionSeconds\n        durationSeconds\n        percentComplete\n        completed\n      }\n      upNext {\n        id\n      }\n      seasons {\n        id\n        seasonNumber\n        title\n        episodes {\n          ...EpisodeParts\n        }\n      }\n      similar(first: 12) {\n        ...CardFactsParts\n      }\n    }\n  }\n": types.TitleDocument,
    "\n  mutation AddToMyList($id: ID!) {\n    addToMyList(videoId: $id) {\n      id\n      inMyList\n    }\n  }\n": types.AddToMyListDocument,
    "\n  mutation RemoveFromMyList($id: ID!) {\n    removeFromMyList(videoId: $id) {\n      id\n      inMyList\n    }\n  }\n": types.RemoveFromMyListDocument,
    "\n  mutation RateTitle($id: ID!, $rating: Rating!) {\n    rateTitle(videoId: $id, rating: $rating) {\n      id\n      myRating\n    }\n  }\n": types.RateTitleDocument,
    "\n  query Playback($id: ID!, $episode: ID, $device: DeviceInput) {\n    playback(videoId: $id, episodeId: $episode, device: $device) {\n      dashUrl\n      hlsUrl\n      representations {\n        id\n        bandwidth\n        width\n        height\n        codecs\n      }\n      resumePositionSeconds\n      abr {\n        headroom\n        ewmaAlpha\n        bufferSafetySeconds\n      }\n      drm {\n        keySystem\n        licenseUrl\n      }\n      thumbnails {\n        url\n        tileUrls\n        interval\n        width\n        height\n        columns\n        rows\n      }\n    }\n  }\n": types.PlaybackDocument,
    "\n  mutation UpdateProgress($input: ProgressInput!) {\n    updateProgress(input: $input) {\n      positionSeconds\n    }\n  }\n": types.UpdateProgressDocument,
    "\n  mutation ReportPlaybackEvents($events: [PlaybackEventInput!]!) {\n    reportPlaybackEvents(events: $events)\n  }\n": types.ReportPlaybackEventsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ProfileParts on Profile {\n    id\n    name\n    isKids\n    maturityLevel\n    language\n    avatarUrl\n    locked\n  }\n"): typeof import('./graphql').ProfilePartsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AccountParts on Account {\n    id\n    email\n    country\n    plan\n    profiles {\n      ...ProfileParts\n    }\n    activeProfile {\n      ...ProfileParts\n    }\n  }\n"): typeof import('./graphql').AccountPartsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment CardParts on Video {\n    id\n    title\n    posterUrl\n    backdropUrl\n    maturityLevel\n    rating\n  }\n"): typeof import('./graphql').CardPartsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment CardFactsParts on Video {\n    ...CardParts\n    releaseYear\n    genres\n    type\n  }\n"): typeof import('./graphql').CardFactsPartsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment EpisodeParts on Episode {\n    id\n    episodeNumber\n    title\n    description\n    durationMinutes\n    progress {\n      positionSeconds\n      durationSeconds\n      percentComplete\n      completed\n    }\n  }\n"): typeof import('./graphql').EpisodePartsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Me {\n    me {\n      ...AccountParts\n    }\n  }\n"): typeof import('./graphql').MeDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) {\n      account {\n        ...AccountParts\n      }\n    }\n  }\n"): typeof import('./graphql').LoginDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) {\n      account {\n        ...AccountParts\n      }\n    }\n  }\n"): typeof import('./graphql').RegisterDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Logout {\n    logout\n  }\n"): typeof import('./graphql').LogoutDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateProfile($input: CreateProfileInput!) {\n    createProfile(input: $input) {\n      ...ProfileParts\n    }\n  }\n"): typeof import('./graphql').CreateProfileDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateProfile($id: ID!, $input: UpdateProfileInput!) {\n    updateProfile(id: $id, input: $input) {\n      ...ProfileParts\n    }\n  }\n"): typeof import('./graphql').UpdateProfileDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteProfile($id: ID!) {\n    deleteProfile(id: $id)\n  }\n"): typeof import('./graphql').DeleteProfileDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SelectProfile($id: ID!, $pin: String, $password: String) {\n    selectProfile(id: $id, pin: $pin, password: $password) {\n      ...ProfileParts\n    }\n  }\n"): typeof import('./graphql').SelectProfileDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Homepage($rows: Int, $items: Int) {\n    homepage(rows: $rows, itemsPerRow: $items) {\n      source\n      rows {\n        id\n        kind\n        title\n        items {\n          ...CardFactsParts\n          progress {\n            percentComplete\n          }\n        }\n      }\n    }\n    continueWatching(first: 20) {\n      video {\n        ...CardParts\n      }\n      episode {\n        id\n        title\n        episodeNumber\n      }\n      percentComplete\n      positionSeconds\n      durationSeconds\n    }\n  }\n"): typeof import('./graphql').HomepageDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query HeroDetails($id: ID!) {\n    video(id: $id) {\n      ...CardParts\n      type\n      releaseYear\n      durationMinutes\n      genres\n      description\n      inMyList\n      myRating\n      progress {\n        positionSeconds\n        durationSeconds\n        percentComplete\n        completed\n      }\n      seasons {\n        id\n        seasonNumber\n        title\n        episodes {\n          id\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').HeroDetailsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Search($q: String!, $first: Int) {\n    search(query: $q, first: $first) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          ...CardFactsParts\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').SearchDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyList($first: Int) {\n    myList(first: $first) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          ...CardFactsParts\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').MyListDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Title($id: ID!) {\n    video(id: $id) {\n      ...CardParts\n      type\n      releaseYear\n      durationMinutes\n      genres\n      description\n      inMyList\n      myRating\n      progress {\n        positionSeconds\n        durationSeconds\n        percentComplete\n        completed\n      }\n      upNext {\n        id\n      }\n      seasons {\n        id\n        seasonNumber\n        title\n        episodes {\n          ...EpisodeParts\n        }\n      }\n      similar(first: 12) {\n        ...CardFactsParts\n      }\n    }\n  }\n"): typeof import('./graphql').TitleDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AddToMyList($id: ID!) {\n    addToMyList(videoId: $id) {\n      id\n      inMyList\n    }\n  }\n"): typeof import('./graphql').AddToMyListDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RemoveFromMyList($id: ID!) {\n    removeFromMyList(videoId: $id) {\n      id\n      inMyList\n    }\n  }\n"): typeof import('./graphql').RemoveFromMyListDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RateTitle($id: ID!, $rating: Rating!) {\n    rateTitle(videoId: $id, rating: $rating) {\n      id\n      myRating\n    }\n  }\n"): typeof import('./graphql').RateTitleDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Playback($id: ID!, $episode: ID, $device: DeviceInput) {\n    playback(videoId: $id, episodeId: $episode, device: $device) {\n      dashUrl\n      hlsUrl\n      representations {\n        id\n        bandwidth\n        width\n        height\n        codecs\n      }\n      resumePositionSeconds\n      abr {\n        headroom\n        ewmaAlpha\n        bufferSafetySeconds\n      }\n      drm {\n        keySystem\n        licenseUrl\n      }\n      thumbnails {\n        url\n        tileUrls\n        interval\n        width\n        height\n        columns\n        rows\n      }\n    }\n  }\n"): typeof import('./graphql').PlaybackDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateProgress($input: ProgressInput!) {\n    updateProgress(input: $input) {\n      positionSeconds\n    }\n  }\n"): typeof import('./graphql').UpdateProgressDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReportPlaybackEvents($events: [PlaybackEventInput!]!) {\n    reportPlaybackEvents(events: $events)\n  }\n"): typeof import('./graphql').ReportPlaybackEventsDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
