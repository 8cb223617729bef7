// What a viewer reads when something fails: one sentence per API error code.

import { ApiError } from '../api/client';
import { h } from './dom';

/** The server's own sentence for input it rejected, without the Markdown backticks. */
function serverSentence(error: Error): string {
  return error.message.replace(/`/g, '');
}

export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) {
    return 'Something went wrong. Please try again.';
  }
  switch (error.code) {
    case 'UNAUTHENTICATED':
      return /wrong email or password/i.test(error.message)
        ? 'That email and password don’t match an account. Check them and try again.'
        : 'Your session has ended. Please sign in again.';
    case 'PROFILE_REQUIRED':
      return 'Choose who’s watching first.';
    case 'NOT_FOUND':
      return 'We couldn’t find that. It may have been removed, or it isn’t available on this profile.';
    case 'FORBIDDEN':
      return 'This account or profile isn’t allowed to do that.';
    case 'BAD_USER_INPUT':
      return serverSentence(error);
    case 'CONFLICT':
      return serverSentence(error);
    case 'RATE_LIMITED': {
      const wait = error.retryAfterSeconds;
      return wait
        ? `Too many attempts. Please wait ${formatWait(wait)} and try again.`
        : 'Too many attempts. Please wait a moment and try again.';
    }
    case 'QUERY_TOO_COMPLEX':
      return 'That asked for too much at once. Please try again with less.';
    case 'PERSISTED_QUERY_NOT_FOUND': // the client sends the document then; seen only if that fails too
    case 'PERSISTED_QUERY_NOT_SUPPORTED':
    case 'PERSISTED_QUERY_NOT_ALLOWED': // an allowlisting server older than this app's documents
      return 'This version of the app is out of date. Please reload the page.';
    case 'TIMEOUT':
      return 'Flix took too long to answer. Please try again.';
    case 'UNAVAILABLE':
      return 'Part of Flix is unavailable right now. Please try again in a moment.';
    case 'INTERNAL':
      return error.requestId
        ? `Something went wrong on our side. If it keeps happening, quote request id ${error.requestId}.`
        : 'Something went wrong on our side. Please try again in a moment.';
    case 'NETWORK':
      return 'We can’t reach Flix. Check your internet connection and try again.';
  }
}

function formatWait(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

/** An inline alert for forms and screens (role=alert so screen readers announce it). */
export function alertBox(error: unknown): HTMLElement {
  const code = error instanceof ApiError ? error.code : 'UNKNOWN';
  return h('div', { class: 'alert', role: 'alert', dataset: { code } }, describeError(error));
}

/** Fill (or empty) a live region with the message for `error`. */
export function showError(region: HTMLElement, error: unknown | null): void {
  region.replaceChildren();
  if (error === null) {
    region.hidden = true;
    return;
  }
  region.hidden = false;
  region.dataset['code'] = error instanceof ApiError ? error.code : 'UNKNOWN';
  region.textContent = describeError(error);
}

export function toast(message: string, kind: 'info' | 'error' = 'info'): void {
  const host = document.getElementById('toasts');
  if (!host) return;
  const item = h('div', { class: `toast toast-${kind}` }, message);
  host.appendChild(item);
  window.setTimeout(() => item.classList.add('toast-leaving'), 4200);
  window.setTimeout(() => item.remove(), 4700);
}

export function toastError(error: unknown): void {
  toast(describeError(error), 'error');
}
