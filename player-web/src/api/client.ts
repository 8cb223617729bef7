// The one way this app talks to the server: POST /graphql with the session cookie, each
// document named by its hash once the server has it (automatic persisted queries).
// Every document is generated (`graphql()` in queries.ts and the player), so its variables
// and result are typed from ../schema.graphql.

import { ErrorCode as ApiErrorCode } from './generated/enums';
import type { TypedDocumentString } from './generated/graphql';

// The API's error codes (`extensions.code`) are the SDL's ErrorCode enum, generated with the
// rest. NETWORK is not from the API: the request never got an answer.
export type ErrorCode = ApiErrorCode | 'NETWORK';

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ApiErrorCode));

// Worth trying again later, unchanged.
const TRANSIENT: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['NETWORK', 'INTERNAL', 'RATE_LIMITED', 'TIMEOUT', 'UNAVAILABLE']);

interface WireError {
  message?: string;
  path?: (string | number)[];
  extensions?: { code?: string; retryAfterSeconds?: number; requestId?: string };
}

interface ErrorExtra {
  retryAfterSeconds?: number;
  requestId?: string;
  path?: (string | number)[];
  /** The HTTP status of the answer that carried the error (none for NETWORK). */
  status?: number;
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterSeconds: number | undefined;
  readonly requestId: string | undefined;
  readonly path: readonly (string | number)[] | undefined;
  readonly status: number | undefined;

  constructor(code: ErrorCode, message: string, extra: ErrorExtra = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.retryAfterSeconds = extra.retryAfterSeconds;
    this.requestId = extra.requestId;
    this.path = extra.path;
    this.status = extra.status;
  }

  /** Worth trying again later: the request may succeed without changing it. */
  get transient(): boolean {
    return TRANSIENT.has(this.code);
  }
}

export interface GqlResult<T> {
  data: T | null;
  errors: ApiError[];
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Outlives the page (pagehide): for progress and telemetry. */
  keepalive?: boolean;
  /** Sent as the Idempotency-Key header: a mutation's retries carry the first try's key. */
  idempotencyKey?: string;
}

type Listener = (error: ApiError) => void;
const listeners = new Set<Listener>();

/** Hear about every UNAUTHENTICATED / PROFILE_REQUIRED answer (the router redirects). */
export function onSessionError(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function toApiError(wire: WireError, requestId: string | undefined, status: number): ApiError {
  const raw = wire.extensions?.code ?? 'INTERNAL';
  const code = (KNOWN_CODES.has(raw) ? raw : 'INTERNAL') as ErrorCode;
  const extra: ErrorExtra = { status };
  if (typeof wire.extensions?.retryAfterSeconds === 'number') {
    extra.retryAfterSeconds = wire.extensions.retryAfterSeconds;
  }
  const id = wire.extensions?.requestId ?? requestId;
  if (id) extra.requestId = id;
  if (wire.path) extra.path = wire.path;
  return new ApiError(code, wire.message ?? 'Unknown error', extra);
}

// Automatic persisted queries (docs/persisted_queries.md): a request names its document by
// SHA-256 and sends the document itself only when the server has not seen it yet
// (PERSISTED_QUERY_NOT_FOUND; sending both registers it). A server that takes no hashes
// (PERSISTED_QUERY_NOT_SUPPORTED) gets whole documents from then on.
let persistedQueries = true;
const hashes = new Map<string, Promise<string | null>>();

async function sha256Hex(text: string): Promise<string | null> {
  // crypto.subtle exists in secure contexts only (https, localhost): elsewhere, whole documents.
  if (!globalThis.crypto?.subtle) return null;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function documentHash(query: string): Promise<string | null> {
  let hash = hashes.get(query);
  if (hash === undefined) {
    hash = sha256Hex(query).catch(() => null);
    hashes.set(query, hash);
  }
  return hash;
}

function persisted(sha256Hash: string): { persistedQuery: { version: 1; sha256Hash: string } } {
  return { persistedQuery: { version: 1, sha256Hash } };
}

interface Answer<T> {
  status: number;
  requestId: string | undefined;
  body: { data?: T | null; errors?: WireError[] };
}

function hasCode(answer: Answer<unknown>, code: string): boolean {
  return (answer.body.errors ?? []).some((error) => error.extensions?.code === code);
}

async function exchange<T>(payload: object, headers: Record<string, string>, options: RequestOptions): Promise<Answer<T>> {
  let response: Response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      credentials: 'same-origin',
      headers,
      body: JSON.stringify(payload),
      keepalive: options.keepalive ?? false,
      signal: options.signal ?? null,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError('NETWORK', 'The network request failed.');
  }
  const requestId = response.headers.get('x-request-id') ?? undefined;
  try {
    return { status: response.status, requestId, body: (await response.json()) as Answer<T>['body'] };
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    const extra: ErrorExtra = requestId ? { requestId, status: response.status } : { status: response.status };
    const code: ErrorCode = response.status === 429 ? 'RATE_LIMITED' : 'INTERNAL';
    throw new ApiError(code, `The server answered ${response.status}.`, extra);
  }
}

/** The whole answer: data (possibly partial) and every error, for screens that degrade. */
export async function request<T, V>(
  document: TypedDocumentString<T, V>,
  variables: V,
  options: RequestOptions = {},
): Promise<GqlResult<T>> {
  const query = document.toString();
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  // An sf-string, as the IETF draft writes the header's value.
  if (options.idempotencyKey) headers['idempotency-key'] = `"${options.idempotencyKey}"`;
  // A keepalive request (pagehide) gets one try: it carries its document.
  const hash = persistedQueries && !options.keepalive ? await documentHash(query) : null;
  let answer: Answer<T>;
  if (hash === null) {
    answer = await exchange<T>({ query, variables }, headers, options);
  } else {
    answer = await exchange<T>({ variables, extensions: persisted(hash) }, headers, options);
    if (hasCode(answer, 'PERSISTED_QUERY_NOT_SUPPORTED')) {
      persistedQueries = false;
      answer = await exchange<T>({ query, variables }, headers, options);
    } else if (hasCode(answer, 'PERSISTED_QUERY_NOT_FOUND')) {
      answer = await exchange<T>({ query, variables, extensions: persisted(hash) }, headers, options);
    }
  }
  const { body, requestId, status } = answer;
  const errors = (body.errors ?? []).map((wire) => toApiError(wire, requestId, status));
  for (const error of errors) {
    if (error.code === 'UNAUTHENTICATED' || error.code === 'PROFILE_REQUIRED') {
      for (const listener of listeners) listener(error);
      break;
    }
  }
  return { data: body.data ?? null, errors };
}

/** Data of a request that must fully succeed; the first error is thrown otherwise. */
export async function gql<T, V>(
  document: TypedDocumentString<T, V>,
  variables: V,
  options: RequestOptions = {},
): Promise<T> {
  const { data, errors } = await request(document, variables, options);
  const first = errors[0];
  if (first) throw first;
  if (data === null) throw new ApiError('INTERNAL', 'The server sent no data.');
  return data;
}

// A mutation sent with an Idempotency-Key is safe to send again: the server answers a retry
// from its record of the first answer (for 24 h) instead of doing the work twice.
const MUTATE_ATTEMPTS = 4;
const MUTATE_BASE_DELAY_MS = 500;
const MUTATE_MAX_DELAY_MS = 8_000;
// What a retry with the same key may get past: no answer at all, the first try still running
// (409), a refusal before anything ran (429), a server that could not take it (5xx). Any
// other answer is the stored one, and asking again would only replay it.
const RETRY_STATUSES: ReadonlySet<number> = new Set([409, 429, 500, 502, 503, 504]);

export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

/** The server kept no answer to this try: the same request with the same key may still run. */
export function retryableWithSameKey(error: ApiError): boolean {
  return error.code === 'NETWORK' || (error.status !== undefined && RETRY_STATUSES.has(error.status));
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = window.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      window.clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A mutation that must take effect once (createProfile, addToMyList, rateTitle, playback
 * events): sent with an Idempotency-Key (the caller's, or a fresh one) and retried with that
 * same key, with backoff, while the answer is lost or the server could not take it.
 */
export async function mutateOnce<T, V>(
  document: TypedDocumentString<T, V>,
  variables: V,
  options: RequestOptions = {},
): Promise<T> {
  const keyed = { ...options, idempotencyKey: options.idempotencyKey ?? newIdempotencyKey() };
  for (let attempt = 1; ; attempt++) {
    let failure: ApiError;
    try {
      return await gql(document, variables, keyed);
    } catch (error) {
      if (!(error instanceof ApiError) || !retryableWithSameKey(error) || attempt >= MUTATE_ATTEMPTS) throw error;
      failure = error;
    }
    const backoff = MUTATE_BASE_DELAY_MS * 2 ** (attempt - 1) * (0.5 + Math.random());
    const wait = Math.max(backoff, (failure.retryAfterSeconds ?? 0) * 1000);
    if (wait > MUTATE_MAX_DELAY_MS) throw failure;
    await pause(wait, options.signal);
  }
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}
