// The one way this app talks to the server: POST /graphql with the session cookie.
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

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterSeconds: number | undefined;
  readonly requestId: string | undefined;
  readonly path: readonly (string | number)[] | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    extra: { retryAfterSeconds?: number; requestId?: string; path?: (string | number)[] } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.retryAfterSeconds = extra.retryAfterSeconds;
    this.requestId = extra.requestId;
    this.path = extra.path;
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
}

type Listener = (error: ApiError) => void;
const listeners = new Set<Listener>();

/** Hear about every UNAUTHENTICATED / PROFILE_REQUIRED answer (the router redirects). */
export function onSessionError(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function toApiError(wire: WireError, requestId: string | undefined): ApiError {
  const raw = wire.extensions?.code ?? 'INTERNAL';
  const code = (KNOWN_CODES.has(raw) ? raw : 'INTERNAL') as ErrorCode;
  const extra: { retryAfterSeconds?: number; requestId?: string; path?: (string | number)[] } = {};
  if (typeof wire.extensions?.retryAfterSeconds === 'number') {
    extra.retryAfterSeconds = wire.extensions.retryAfterSeconds;
  }
  const id = wire.extensions?.requestId ?? requestId;
  if (id) extra.requestId = id;
  if (wire.path) extra.path = wire.path;
  return new ApiError(code, wire.message ?? 'Unknown error', extra);
}

/** The whole answer: data (possibly partial) and every error, for screens that degrade. */
export async function request<T, V>(
  document: TypedDocumentString<T, V>,
  variables: V,
  options: RequestOptions = {},
): Promise<GqlResult<T>> {
  const query = document.toString();
  let response: Response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query, variables }),
      keepalive: options.keepalive ?? false,
      signal: options.signal ?? null,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError('NETWORK', 'The network request failed.');
  }
  const requestId = response.headers.get('x-request-id') ?? undefined;
  let body: { data?: T | null; errors?: WireError[] };
  try {
    body = (await response.json()) as typeof body;
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    const extra = requestId ? { requestId } : {};
    const code: ErrorCode = response.status === 429 ? 'RATE_LIMITED' : 'INTERNAL';
    throw new ApiError(code, `The server answered ${response.status}.`, extra);
  }
  const errors = (body.errors ?? []).map((wire) => toApiError(wire, requestId));
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

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}
