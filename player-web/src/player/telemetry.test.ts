import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

interface Sent {
  key: string | null;
  types: string[];
}

// Enough of a browser for the telemetry: timers, page events and fetch.
function installBrowser(): void {
  vi.stubGlobal('window', globalThis);
  vi.stubGlobal('addEventListener', () => undefined);
  vi.stubGlobal('removeEventListener', () => undefined);
  vi.stubGlobal('document', { visibilityState: 'visible', addEventListener: () => undefined, removeEventListener: () => undefined });
  const { randomUUID } = crypto;
  vi.stubGlobal('crypto', { randomUUID: randomUUID.bind(crypto) });
}

function answer(body: unknown): Response {
  return new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
}

describe('Telemetry', () => {
  let sent: Sent[];
  // Requests the test answers itself, in order: each resolves the fetch it stands for.
  let held: ((response: Response | Error) => void)[];

  beforeEach(() => {
    vi.useFakeTimers();
    installBrowser();
    sent = [];
    held = [];
    vi.stubGlobal('fetch', (_url: string, init: RequestInit) => {
      const body = JSON.parse(String(init.body)) as { variables: { events: { type: string }[] } };
      const key = new Headers(init.headers).get('idempotency-key');
      sent.push({ key, types: body.variables.events.map((event) => event.type) });
      return new Promise<Response>((resolve, reject) => {
        held.push((outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome)));
      });
    });
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  const ok = () => answer({ data: { reportPlaybackEvents: 1 } });

  it('sends what was queued when the player closes while a flush is still on the wire', async () => {
    const { Telemetry } = await import('./telemetry');
    const telemetry = new Telemetry('7', null);
    telemetry.record('START', { positionSeconds: 0 });
    void telemetry.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([{ key: expect.any(String), types: ['START'] }]);

    // The slow link keeps that request going; the player switches down, then closes.
    telemetry.record('BITRATE_SWITCH', { bitrateKbps: 400 });
    telemetry.dispose();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.map((request) => request.types)).toEqual([['START'], ['BITRATE_SWITCH']]);
    expect(sent[1]?.key).not.toBe(sent[0]?.key);

    for (const release of held) release(ok());
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sent).toHaveLength(2); // nothing twice
  });

  it('sends a batch whose answer never came again under its own key, before newer events', async () => {
    const { Telemetry } = await import('./telemetry');
    const telemetry = new Telemetry('7', null);
    telemetry.record('START', { positionSeconds: 0 });
    void telemetry.flush();
    // Every try is lost on the way (the client's own retries included).
    for (let attempt = 0; attempt < 4; attempt++) {
      await vi.advanceTimersByTimeAsync(attempt ? 8_000 : 0);
      held[attempt]?.(new TypeError('Failed to fetch'));
    }
    await vi.advanceTimersByTimeAsync(0);
    const tries = sent.length;
    expect(new Set(sent.map((request) => request.key)).size).toBe(1);

    telemetry.record('BITRATE_SWITCH', { bitrateKbps: 400 });
    void telemetry.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.slice(tries)).toEqual([{ key: sent[0]?.key, types: ['START'] }]);
    held[tries]?.(ok());
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.slice(tries + 1).map((request) => request.types)).toEqual([['BITRATE_SWITCH']]);
    held[tries + 1]?.(ok());
    telemetry.dispose();
  });
});
