import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ProgressUpdate } from './progress';

// Enough of a browser for the reporter: timers, events, storage and fetch.
function installBrowser(): Map<string, string> {
  const store = new Map<string, string>();
  vi.stubGlobal('window', globalThis);
  vi.stubGlobal('addEventListener', () => undefined);
  vi.stubGlobal('removeEventListener', () => undefined);
  // No crypto.subtle (as outside secure contexts): whole documents, so no hashing to wait for
  // between the fake timers' steps (src/api/client.test.ts tests persisted queries).
  const { randomUUID } = crypto;
  vi.stubGlobal('crypto', { randomUUID: randomUUID.bind(crypto) });
  vi.stubGlobal('localStorage', {
    getItem: (key: string) => store.get(key) ?? null,
    setItem: (key: string, value: string) => void store.set(key, value),
    removeItem: (key: string) => void store.delete(key),
  });
  return store;
}

/** How many updates wait in storage for the server. */
function waiting(store: Map<string, string>): number {
  return Object.keys(JSON.parse(store.get('flix.pendingProgress') ?? '{}') as object).length;
}

function answer(body: unknown): Response {
  return new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
}

describe('ProgressReporter', () => {
  let store: Map<string, string>;
  let sent: ProgressUpdate[];

  beforeEach(() => {
    vi.useFakeTimers();
    store = installBrowser();
    sent = [];
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  function stubFetch(outcomes: ('network' | 'ok' | 'bad-input' | 'internal')[]): void {
    vi.stubGlobal('fetch', async (_url: string, init: RequestInit) => {
      const update = (JSON.parse(String(init.body)) as { variables: { input: ProgressUpdate } }).variables.input;
      sent.push(update);
      const outcome = outcomes.shift() ?? 'ok';
      if (outcome === 'network') throw new TypeError('Failed to fetch');
      if (outcome === 'bad-input') return answer({ data: null, errors: [{ message: 'no', extensions: { code: 'BAD_USER_INPUT' } }] });
      if (outcome === 'internal') return answer({ data: null, errors: [{ message: 'oops', extensions: { code: 'INTERNAL' } }] });
      return answer({ data: { updateProgress: { positionSeconds: update.positionSeconds } } });
    });
  }

  it('retries with backoff through a network blip, and the newest position wins', async () => {
    stubFetch(['network', 'internal', 'ok']);
    const { ProgressReporter } = await import('./progress');
    const saved: number[] = [];
    const reporter = new ProgressReporter('7', null, (update) => saved.push(update.positionSeconds));

    reporter.report(10, 100);
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.map((u) => u.positionSeconds)).toEqual([10]);
    expect(waiting(store)).toBe(1); // kept until the server has it

    // While the retry waits, a newer position replaces the queued one.
    reporter.report(20, 100);
    await vi.advanceTimersByTimeAsync(1_300);
    expect(sent.map((u) => u.positionSeconds)).toEqual([10, 20]);

    // INTERNAL is transient too: backoff doubles, and again the newest goes.
    reporter.report(30, 100);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(sent.map((u) => u.positionSeconds)).toEqual([10, 20, 30]);
    expect(saved).toEqual([30]);
    expect(waiting(store)).toBe(0);

    const last = sent.at(-1);
    expect(last).toMatchObject({ durationSeconds: 100, deviceId: expect.stringMatching(/^web-/) });
    expect(Date.parse(last?.clientTimestamp ?? '')).not.toBeNaN();
    reporter.dispose();
  });

  it('drops an update the server refuses for good', async () => {
    stubFetch(['bad-input']);
    const { ProgressReporter } = await import('./progress');
    const reporter = new ProgressReporter('7', null);
    reporter.report(5, 100);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sent).toHaveLength(1);
    expect(waiting(store)).toBe(0);
    reporter.dispose();
  });

  it('clamps positions to the duration and ignores unknown durations', async () => {
    stubFetch([]);
    const { ProgressReporter } = await import('./progress');
    const reporter = new ProgressReporter('7', 'e1');
    reporter.report(12, Number.NaN);
    reporter.report(130, 120);
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ positionSeconds: 120, durationSeconds: 120, episodeId: 'e1' });
    reporter.dispose();
  });
});
