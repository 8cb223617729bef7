// Hive Gateway serving the committed supergraph (`flix serve --federated` starts it).
//
// FLIX_SUBGRAPHS_URL is where the subgraphs run (the Flix server, e.g. http://127.0.0.1:8000):
// the committed supergraph routes to `flix serve`'s default address, so its routing URLs are
// pointed there. FLIX_SUPERGRAPH overrides the supergraph file.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "@graphql-hive/gateway";
import { GraphQLError } from "graphql";

const ROUTING_URL = "http://127.0.0.1:8000/subgraphs/"; // server/cli/supergraph.py ROUTING_URL
const supergraphPath =
  process.env.FLIX_SUPERGRAPH ?? fileURLToPath(new URL("../../supergraph.graphql", import.meta.url));
const subgraphsUrl = (process.env.FLIX_SUBGRAPHS_URL ?? "http://127.0.0.1:8000").replace(/\/$/, "");

// What a subgraph needs of the client's request: who is asking (the session cookie or the
// bearer token), the retry key of a mutation, the device, the request's id, and the client's
// address and scheme as the Flix server in front saw them (server/gateway_proxy.py).
const FORWARDED = [
  "authorization",
  "cookie",
  "idempotency-key",
  "x-device-type",
  "x-request-id",
  "x-forwarded-for",
  "x-forwarded-proto",
];
// What a client needs of a subgraph's answer, besides the session cookie: a replayed
// mutation's mark and the rate limits' fields (server/idempotency.py, graphql_view.py).
const RETURNED = ["idempotent-replayed", "retry-after", "ratelimit", "ratelimit-policy"];

// As the merged schema's /graphql (server/graphql_view.py): when rate limits are all an answer
// holds (no data at all, every error RATE_LIMITED), the request as a whole was refused: a 429
// with the longest Retry-After. Yoga takes the status from extensions.http, then drops it.
function isOnlyRateLimited(result) {
  const errors = result?.errors ?? [];
  const data = result?.data ?? {};
  return (
    errors.length > 0 &&
    errors.every((error) => error.extensions?.code === "RATE_LIMITED") &&
    Object.values(data).every((value) => value == null)
  );
}

const refusedWhenOnlyRateLimited = {
  onExecute() {
    return {
      onExecuteDone({ result, setResult }) {
        if (!isOnlyRateLimited(result)) return;
        const waits = result.errors.map((error) => error.extensions?.retryAfterSeconds ?? 1);
        const http = { status: 429, headers: { "retry-after": String(Math.max(...waits)) } };
        setResult({ ...result, extensions: { ...result.extensions, http } });
      },
    };
  },
};

// A document the gateway refuses itself (unparsable, invalid against the supergraph, missing
// variables) is the client's mistake: BAD_USER_INPUT in a 200, as the merged schema says it,
// not Yoga's GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED and 400. An error a subgraph
// gave (it has a path or a serviceName) keeps its code.
const REFUSED_DOCUMENT = new Set([undefined, "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED"]);

function asClientMistake(error) {
  const { http, ...extensions } = error.extensions ?? {};
  const code = extensions.code;
  if (error.path || extensions.serviceName || !REFUSED_DOCUMENT.has(code)) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    extensions: { ...extensions, code: "BAD_USER_INPUT" },
  });
}

const refusedDocumentsAreBadUserInput = {
  onResultProcess({ result, setResult }) {
    if (Array.isArray(result) || !result?.errors?.length) return;
    setResult({ ...result, errors: result.errors.map(asClientMistake) });
  },
};

export const gatewayConfig = defineConfig({
  plugins: () => [refusedWhenOnlyRateLimited, refusedDocumentsAreBadUserInput],
  // The merged schema's document limits (FLIX_MAX_QUERY_DEPTH, FLIX_MAX_TOKENS), held here as
  // well: a subgraph sees only its part of a document, so it cannot bound the whole. The
  // gateway's depth counts the leaf fields, strawberry's does not: one more here.
  maxDepth: Number(process.env.FLIX_MAX_QUERY_DEPTH ?? 10) + 1,
  maxTokens: Number(process.env.FLIX_MAX_TOKENS ?? 2000),
  supergraph: () =>
    readFileSync(supergraphPath, "utf8").replaceAll(ROUTING_URL, `${subgraphsUrl}/subgraphs/`),
  pollingInterval: 0,
  propagateHeaders: {
    fromClientToSubgraphs({ request }) {
      const headers = {};
      for (const name of FORWARDED) {
        const value = request.headers.get(name);
        if (value) headers[name] = value;
      }
      return headers;
    },
    fromSubgraphsToClient({ response }) {
      // login and logout set the session cookie (identity's subgraph answers them).
      const headers = {};
      const cookies = response.headers.getSetCookie();
      if (cookies.length > 0) headers["set-cookie"] = cookies;
      for (const name of RETURNED) {
        const value = response.headers.get(name);
        if (value) headers[name] = value;
      }
      return headers;
    },
    // One value per field (the last hop's: the windows it saw are the most counted), and
    // every cookie.
    deduplicateHeaders: true,
  },
  // The subgraphs mask their own unexpected errors (with the request id) and give every
  // error its extensions.code: the gateway passes them on as they are.
  maskedErrors: false,
  graphiql: true,
  landingPage: false,
  logging: process.env.FLIX_GATEWAY_LOG ?? "warn",
});
