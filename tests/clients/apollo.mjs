// Apollo Client against a live Flix server, for tests/clients/test_apollo.py: the automatic
// persisted queries link (hash-only GET first, the document only when the server asks) and
// the normalized cache (a progress heartbeat's answer updates Continue Watching in place).
// Usage: node apollo.mjs <scenario> <base url> <bearer token> [video id]; prints JSON.

import { createHash } from 'node:crypto';
import { ApolloClient, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';

const [scenario, baseUrl, token, videoId] = process.argv.slice(2);

// Every request the client sends, as the server saw it: method, whether it carried the
// document and the hash, and the answer's status and Cache-Control.
const sent = [];

async function recordingFetch(input, init = {}) {
  const url = new URL(String(input));
  const method = init.method ?? 'GET';
  const body = method === 'POST' ? JSON.parse(init.body) : null;
  const extensions = body ? body.extensions : JSON.parse(url.searchParams.get('extensions') ?? 'null');
  const response = await fetch(input, init);
  sent.push({
    method,
    operationName: body ? body.operationName : url.searchParams.get('operationName'),
    withDocument: Boolean(body ? body.query : url.searchParams.get('query')),
    withHash: Boolean(extensions?.persistedQuery?.sha256Hash),
    status: response.status,
    cacheControl: response.headers.get('cache-control'),
  });
  return response;
}

function client({ persisted }) {
  const http = new HttpLink({
    uri: `${baseUrl}/graphql`,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    fetch: recordingFetch,
  });
  const sha256 = (document) => createHash('sha256').update(document).digest('hex');
  const link = persisted ? new PersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(http) : http;
  return new ApolloClient({ link, cache: new InMemoryCache() });
}

const CONTINUE_WATCHING = gql`
  query ContinueWatching {
    continueWatching {
      id
      video { id title }
      progress { id positionSeconds percentComplete completed }
    }
  }
`;

const UPDATE_PROGRESS = gql`
  mutation UpdateProgress($input: ProgressInput!) {
    updateProgress(input: $input) { id positionSeconds percentComplete completed }
  }
`;

async function persistedQueries() {
  const apollo = client({ persisted: true });
  const first = await apollo.query({ query: CONTINUE_WATCHING, fetchPolicy: 'network-only' });
  const second = await apollo.query({ query: CONTINUE_WATCHING, fetchPolicy: 'network-only' });
  // A mutation by hash: POST (never GET), registered the same way.
  const input = { videoId, positionSeconds: 10, durationSeconds: 100, clientTimestamp: new Date().toISOString(), deviceId: 'apollo' };
  const mutated = await apollo.mutate({ mutation: UPDATE_PROGRESS, variables: { input } });
  return { sent, first: first.data, second: second.data, mutated: mutated.data };
}

async function normalizedCache() {
  const apollo = client({ persisted: false });
  const before = await apollo.query({ query: CONTINUE_WATCHING });
  const input = { videoId, positionSeconds: 42, durationSeconds: 100, clientTimestamp: new Date().toISOString(), deviceId: 'apollo' };
  const mutated = await apollo.mutate({ mutation: UPDATE_PROGRESS, variables: { input } });
  // Read from the cache only: no request may be sent for this.
  const after = apollo.readQuery({ query: CONTINUE_WATCHING });
  return { sent, before: before.data, mutated: mutated.data, after, cacheKeys: Object.keys(apollo.extract()) };
}

const scenarios = { 'persisted-queries': persistedQueries, 'normalized-cache': normalizedCache };
const run = scenarios[scenario];
if (!run) {
  console.error(`unknown scenario ${scenario}; one of ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
try {
  console.log(JSON.stringify(await run()));
} catch (error) {
  console.error(error?.stack ?? String(error));
  console.error(JSON.stringify({ sent }));
  process.exit(1);
}
