// Who is signed in and which profile is watching, as the server last told us.

import * as api from './api/queries';
import type { Account, Profile } from './api/types';

let account: Account | null | undefined;
let loading: Promise<Account | null> | null = null;
const listeners = new Set<() => void>();

export async function loadAccount(force = false): Promise<Account | null> {
  if (account !== undefined && !force) return account;
  if (!loading || force) {
    const request = api.me().then((found) => {
      if (loading === request) {
        account = found;
        loading = null;
        notify();
      }
      return found;
    });
    request.catch(() => {
      if (loading === request) loading = null;
    });
    loading = request;
  }
  return loading;
}

export function currentAccount(): Account | null {
  return account ?? null;
}

export function activeProfile(): Profile | null {
  return account?.activeProfile ?? null;
}

export function setAccount(next: Account | null): void {
  account = next;
  loading = null;
  notify();
}

export function setActiveProfile(profile: Profile | null): void {
  if (!account) return;
  account = { ...account, activeProfile: profile };
  notify();
}

/** Forget what we know (after sign-out or an UNAUTHENTICATED answer). */
export function forget(): void {
  account = undefined;
  loading = null;
  notify();
}

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify(): void {
  for (const listener of listeners) listener();
}
