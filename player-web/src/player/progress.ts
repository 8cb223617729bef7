// Viewing progress: `updateProgress` while watching, surviving network blips.
//
// Only the newest position matters (the server keeps the update with the newest client
// timestamp), so there is one pending update per title: a newer one replaces it, failures
// retry it with exponential backoff, and it is kept in localStorage until the server has it,
// so even a reload during an outage does not lose it.

import { ApiError, gql } from '../api/client';
import { graphql } from '../api/generated';
import { activeProfile } from '../session';
import { deviceId } from './device';

export interface ProgressUpdate {
  videoId: string;
  episodeId: string | null;
  positionSeconds: number;
  durationSeconds: number;
  clientTimestamp: string;
  deviceId: string;
}

interface Stored {
  profileId: string;
  update: ProgressUpdate;
}

const STORAGE_KEY = 'flix.pendingProgress';
const MAX_BACKOFF_MS = 30_000;
const MUTATION = graphql(`
  mutation UpdateProgress($input: ProgressInput!) {
    updateProgress(input: $input) {
      positionSeconds
    }
  }
`);

function readStored(): Record<string, Stored> {
  try {
    return JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as Record<string, Stored>;
  } catch {
    return {};
  }
}

function writeStored(all: Record<string, Stored>): void {
  try {
    if (Object.keys(all).length) localStorage.setItem(STORAGE_KEY, JSON.stringify(all));
    else localStorage.removeItem(STORAGE_KEY);
  } catch {
    // storage full or blocked: the in-memory retry still runs
  }
}

function keyOf(profileId: string, update: ProgressUpdate): string {
  return `${profileId}|${update.videoId}|${update.episodeId ?? ''}`;
}

function remember(profileId: string, update: ProgressUpdate): void {
  const all = readStored();
  const key = keyOf(profileId, update);
  const existing = all[key];
  if (!existing || existing.update.clientTimestamp <= update.clientTimestamp) {
    all[key] = { profileId, update };
    writeStored(all);
  }
}

function forgetStored(profileId: string, update: ProgressUpdate): void {
  const all = readStored();
  const key = keyOf(profileId, update);
  // Only if nothing newer was stored meanwhile.
  if (all[key]?.update.clientTimestamp === update.clientTimestamp) {
    delete all[key];
    writeStored(all);
  }
}

function send(update: ProgressUpdate, keepalive: boolean): Promise<unknown> {
  return gql(MUTATION, { input: update }, { keepalive });
}

/** Send what an earlier page could not (call once the session is known). */
export async function flushPendingProgress(): Promise<void> {
  const profile = activeProfile();
  if (!profile) return;
  for (const stored of Object.values(readStored())) {
    // Another profile's update waits until that profile is watching again.
    if (stored.profileId !== profile.id) continue;
    try {
      await send(stored.update, false);
      forgetStored(stored.profileId, stored.update);
    } catch (error) {
      if (error instanceof ApiError && !error.transient) forgetStored(stored.profileId, stored.update);
    }
  }
}

export class ProgressReporter {
  private pending: ProgressUpdate | null = null;
  private sending = false;
  private attempt = 0;
  private retryTimer = 0;
  private readonly profileId: string;
  private readonly onOnline = () => {
    if (this.retryTimer) {
      window.clearTimeout(this.retryTimer);
      this.retryTimer = 0;
      this.kick();
    }
  };

  /** `onSaved` hears each position the server acknowledged (for tests and the UI). */
  constructor(
    private readonly videoId: string,
    private readonly episodeId: string | null,
    private readonly onSaved: (update: ProgressUpdate) => void = () => undefined,
  ) {
    this.profileId = activeProfile()?.id ?? '';
    window.addEventListener('online', this.onOnline);
  }

  /**
   * Record the position now. `urgent` (page hide, leaving the player) sends at once with
   * keepalive, so the request outlives the page.
   */
  report(positionSeconds: number, durationSeconds: number, urgent = false): void {
    if (!Number.isFinite(durationSeconds) || durationSeconds <= 0 || !Number.isFinite(positionSeconds)) return;
    const update: ProgressUpdate = {
      videoId: this.videoId,
      episodeId: this.episodeId,
      positionSeconds: Math.min(Math.max(0, positionSeconds), durationSeconds),
      durationSeconds,
      clientTimestamp: new Date().toISOString(),
      deviceId: deviceId(),
    };
    remember(this.profileId, update);
    if (urgent) {
      // Sent now, and kept in storage until acknowledged; the queue has nothing newer.
      this.pending = null;
      send(update, true).then(
        () => this.acknowledged(update),
        () => undefined, // stays stored; the next page load sends it
      );
      return;
    }
    this.pending = update;
    this.kick();
  }

  dispose(): void {
    window.removeEventListener('online', this.onOnline);
    window.clearTimeout(this.retryTimer);
    this.retryTimer = 0;
  }

  private acknowledged(update: ProgressUpdate): void {
    forgetStored(this.profileId, update);
    if (this.pending === update) this.pending = null;
    this.onSaved(update);
  }

  private kick(): void {
    if (this.sending || this.retryTimer) return;
    void this.drain();
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      while (this.pending) {
        const update = this.pending;
        try {
          await send(update, false);
          this.attempt = 0;
          this.acknowledged(update);
        } catch (error) {
          if (error instanceof ApiError && !error.transient) {
            // The server refused this update for good (bad input, title gone): drop it.
            forgetStored(this.profileId, update);
            if (this.pending === update) this.pending = null;
            continue;
          }
          this.attempt += 1;
          const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.attempt - 1));
          const serverWait = error instanceof ApiError && error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : 0;
          const delay = Math.max(serverWait, backoff * (0.8 + Math.random() * 0.4));
          this.retryTimer = window.setTimeout(() => {
            this.retryTimer = 0;
            this.kick();
          }, delay);
          return;
        }
      }
    } finally {
      this.sending = false;
    }
  }
}
