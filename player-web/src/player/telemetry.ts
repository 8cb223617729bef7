// QoE telemetry: playback events batched to `reportPlaybackEvents` every 10 s and on page hide.

import { ApiError, mutateOnce, newIdempotencyKey, retryableWithSameKey } from '../api/client';
import { graphql } from '../api/generated';
import type { PlaybackEventInput, PlaybackEventType } from '../api/generated/graphql';

export interface EventFields {
  positionSeconds?: number;
  bitrateKbps?: number;
  durationMs?: number;
  errorCode?: string;
  message?: string;
}

const FLUSH_MS = 10_000;
const MAX_BATCH = 100; // the server's limit per call
const MAX_QUEUE = 500; // beyond this, the oldest events go: telemetry must never grow unbounded
const MUTATION = graphql(`
  mutation ReportPlaybackEvents($events: [PlaybackEventInput!]!) {
    reportPlaybackEvents(events: $events)
  }
`);

function clean(value: number | undefined): number | undefined {
  return value === undefined || !Number.isFinite(value) ? undefined : Math.max(0, value);
}

interface Batch {
  events: PlaybackEventInput[];
  key: string;
}

export class Telemetry {
  readonly playbackSessionId = crypto.randomUUID();
  private queue: PlaybackEventInput[] = [];
  // Batches whose answer never came, kept whole with their Idempotency-Key: sent again as they
  // were, the server answers from its record instead of counting the events (START) twice.
  private readonly unanswered: Batch[] = [];
  // Batches on the wire. A flush started while another runs (the page going away) leaves these
  // to their own request: sent again under the same key, the server would answer 409 (still
  // running) and the events queued behind them would never go.
  private readonly inFlight = new Set<Batch>();
  private flushing = false;
  private readonly timer: number;
  private readonly onHide = () => {
    if (document.visibilityState === 'hidden') void this.flush(true);
  };
  private readonly onPageHide = () => void this.flush(true);

  constructor(
    private readonly videoId: string,
    private readonly episodeId: string | null,
  ) {
    this.timer = window.setInterval(() => void this.flush(), FLUSH_MS);
    document.addEventListener('visibilitychange', this.onHide);
    window.addEventListener('pagehide', this.onPageHide);
  }

  record(type: PlaybackEventType, fields: EventFields = {}): void {
    const event: PlaybackEventInput = {
      type,
      videoId: this.videoId,
      episodeId: this.episodeId,
      at: new Date().toISOString(),
      playbackSessionId: this.playbackSessionId,
    };
    const position = clean(fields.positionSeconds);
    const bitrate = clean(fields.bitrateKbps);
    const duration = clean(fields.durationMs);
    if (position !== undefined) event.positionSeconds = position;
    if (bitrate !== undefined) event.bitrateKbps = bitrate;
    if (duration !== undefined) event.durationMs = Math.round(duration);
    if (fields.errorCode) event.errorCode = fields.errorCode.slice(0, 100);
    if (fields.message) event.message = fields.message.slice(0, 500);
    this.queue.push(event);
    if (this.queue.length > MAX_QUEUE) this.queue.splice(0, this.queue.length - MAX_QUEUE);
  }

  /** Send what is queued; `keepalive` when the page may be going away. */
  async flush(keepalive = false): Promise<void> {
    if (this.flushing && !keepalive) return;
    const owner = !this.flushing;
    this.flushing = true;
    try {
      for (let batch = this.nextBatch(); batch; batch = this.nextBatch()) {
        if (!(await this.send(batch, keepalive))) return;
      }
    } finally {
      if (owner) this.flushing = false;
    }
  }

  /** An unanswered batch no request is carrying, else the next events queued. */
  private nextBatch(): Batch | undefined {
    const again = this.unanswered.find((batch) => !this.inFlight.has(batch));
    if (again) return again;
    if (!this.queue.length) return undefined;
    return { events: this.queue.splice(0, MAX_BATCH), key: newIdempotencyKey() };
  }

  /** Whether the server answered the batch; if not, it is kept, requeued or dropped. */
  private async send(batch: Batch, keepalive: boolean): Promise<boolean> {
    this.inFlight.add(batch);
    try {
      await mutateOnce(MUTATION, { events: batch.events }, { keepalive, idempotencyKey: batch.key });
      this.forget(batch);
      return true;
    } catch (error) {
      if (!(error instanceof ApiError) || retryableWithSameKey(error)) {
        if (!this.unanswered.includes(batch)) this.unanswered.push(batch); // next time, as it was
        return false;
      }
      // Answered, and the answer is stored under the key: a transient failure goes back in
      // the queue for a new key; a refusal for good (bad input) drops the batch.
      this.forget(batch);
      if (error.transient) this.queue.unshift(...batch.events);
      return false;
    } finally {
      this.inFlight.delete(batch);
    }
  }

  private forget(batch: Batch): void {
    const at = this.unanswered.indexOf(batch);
    if (at >= 0) this.unanswered.splice(at, 1);
  }

  dispose(): void {
    window.clearInterval(this.timer);
    document.removeEventListener('visibilitychange', this.onHide);
    window.removeEventListener('pagehide', this.onPageHide);
    void this.flush(true);
  }
}
