import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

type Outcome = 'network' | 'in-flight' | 'unavailable' | 'conflict' | 'ok';

const PROFILE = { id: 'p1', name: 'Sam', isKids: false, maturityLevel: 5, language: 'en', avatarUrl: null };

function answer(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function refusal(status: number, code: string): Response {
  return answer(status, { errors: [{ message: code, extensions: { code } }] });
}

describe('mutateOnce (Idempotency-Key)', () => {
  let keys: (string | null)[];

  beforeEach(() => {
    vi.useFakeTimers();
    vi.stubGlobal('window', globalThis);
    // No crypto.subtle (as outside secure contexts): whole documents, no hashing to wait for
    // between the fake timers' runs. The persisted-query path is tested below.
    const { randomUUID } = crypto;
    vi.stubGlobal('crypto', { randomUUID: randomUUID.bind(crypto) });
    keys = [];
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  function stubFetch(outcomes: Outcome[]): void {
    vi.stubGlobal('fetch', async (_url: string, init: RequestInit) => {
      keys.push(new Headers(init.headers).get('idempotency-key'));
      const outcome = outcomes.shift() ?? 'ok';
      if (outcome === 'network') throw new TypeError('Failed to fetch');
      if (outcome === 'in-flight') return refusal(409, 'CONFLICT');
      if (outcome === 'unavailable') return refusal(503, 'UNAVAILABLE');
      if (outcome === 'conflict') return refusal(200, 'CONFLICT'); // a stored answer: the name is taken
      return answer(200, { data: { createProfile: PROFILE } });
    });
  }

  it('retries a lost answer, an in-flight first try and a 503 with the same key', async () => {
    stubFetch(['network', 'in-flight', 'unavailable', 'ok']);
    const { createProfile } = await import('./queries');
    const created = createProfile({ name: 'Sam' });
    await vi.runAllTimersAsync();
    expect((await created).id).toBe('p1');
    expect(keys).toHaveLength(4);
    expect(keys[0]).toMatch(/^"[0-9a-f-]{36}"$/);
    expect(new Set(keys).size).toBe(1);
  });

  it('does not retry an answer the server stored, and a new call gets a new key', async () => {
    stubFetch(['conflict', 'ok']);
    const { createProfile } = await import('./queries');
    await expect(createProfile({ name: 'Sam' })).rejects.toMatchObject({ code: 'CONFLICT', status: 200 });
    expect(keys).toHaveLength(1);
    await createProfile({ name: 'Sam' });
    expect(keys).toHaveLength(2);
    expect(keys[1]).not.toBe(keys[0]);
  });

  it('gives up after a few tries, with the last error', async () => {
    stubFetch(['network', 'network', 'network', 'network', 'ok']);
    const { createProfile } = await import('./queries');
    const created = createProfile({ name: 'Sam' });
    const settled = expect(created).rejects.toMatchObject({ code: 'NETWORK' });
    await vi.runAllTimersAsync();
    await settled;
    expect(keys).toHaveLength(4);
  });

  it('sends no key on other requests', async () => {
    vi.stubGlobal('fetch', async (_url: string, init: RequestInit) => {
      keys.push(new Headers(init.headers).get('idempotency-key'));
      return answer(200, { data: { me: null } });
    });
    const { me } = await import('./queries');
    expect(await me()).toBeNull();
    expect(keys).toEqual([null]);
  });
});

describe('request (automatic persisted queries)', () => {
  let bodies: Record<string, unknown>[];

  beforeEach(() => {
    vi.resetModules(); // a fresh client: no hashes known, persisted queries on
  });

  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  function stubFetch(firstAnswer: Response): void {
    bodies = [];
    vi.stubGlobal('fetch', async (_url: string, init: RequestInit) => {
      bodies.push(JSON.parse(String(init.body)) as Record<string, unknown>);
      return bodies.length === 1 ? firstAnswer : answer(200, { data: { me: null } });
    });
  }

  it('sends the hash alone first, and the document with it when the server has not seen it', async () => {
    stubFetch(answer(200, { errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] }));
    const { me } = await import('./queries');
    expect(await me()).toBeNull();
    expect(bodies).toHaveLength(2);
    const [first, second] = bodies;
    expect(first).not.toHaveProperty('query');
    expect(first?.extensions).toMatchObject({ persistedQuery: { version: 1, sha256Hash: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(typeof second?.query).toBe('string');
    expect(second?.extensions).toEqual(first?.extensions);
  });

  it('sends whole documents to a server that takes no hashes', async () => {
    stubFetch(refusal(200, 'PERSISTED_QUERY_NOT_SUPPORTED'));
    const { me } = await import('./queries');
    expect(await me()).toBeNull();
    expect(await me()).toBeNull();
    expect(bodies).toHaveLength(3);
    expect(bodies[1]).not.toHaveProperty('extensions');
    expect(typeof bodies[2]?.query).toBe('string');
  });
});
