// Entering a profile that asks for proof: a locked profile's PIN, or the account password to
// leave a kids profile for a grown-up one. The server decides; this asks before it has to.

import { ApiError } from '../api/client';
import * as api from '../api/queries';
import type { Profile } from '../api/types';
import { activeProfile } from '../session';
import { h } from './dom';
import { describeError } from './errors';

type Proof = 'pin' | 'password';

/** The proof the server will want to switch from `current` to `target`, if any. */
export function proofNeeded(target: Profile, current: Profile | null): Proof | null {
  if (current?.id === target.id) return null;
  if (target.locked) return 'pin';
  if (current?.isKids && !target.isKids) return 'password';
  return null;
}

/** Select `target`, first asking for its PIN or the account password when it needs one.
 *  Resolves to the selected profile, or null when the viewer cancels. */
export async function enterProfile(target: Profile): Promise<Profile | null> {
  const needed = proofNeeded(target, activeProfile());
  return needed ? askAndEnter(target, needed) : api.selectProfile(target.id);
}

function askAndEnter(target: Profile, needed: Proof): Promise<Profile | null> {
  return new Promise((resolve) => {
    const errorRegion = h('div', { class: 'alert', role: 'alert', hidden: true, tabindex: '-1' });
    const secret = h(
      'input',
      needed === 'pin'
        ? { id: 'unlock-secret', name: 'pin', type: 'password', inputmode: 'numeric', maxLength: 4, autocomplete: 'off', required: true }
        : { id: 'unlock-secret', name: 'password', type: 'password', autocomplete: 'current-password', required: true },
    );
    const submit = h('button', { class: 'button button-primary', type: 'submit' }, 'Continue');
    const cancel = h('button', { class: 'button button-outline', type: 'button' }, 'Cancel');
    const form = h(
      'form',
      { class: 'profile-form', method: 'dialog', novalidate: true },
      h('h2', { id: 'unlock-title' }, needed === 'pin' ? `${target.name} is locked` : `Switch to ${target.name}`),
      h(
        'p',
        { class: 'dialog-lead' },
        needed === 'pin'
          ? 'Enter the profile’s 4-digit PIN.'
          : 'Leaving a kids profile needs the account password.',
      ),
      errorRegion,
      h('div', { class: 'field' }, h('label', { for: 'unlock-secret' }, needed === 'pin' ? 'PIN' : 'Account password'), secret),
      h('div', { class: 'dialog-actions' }, submit, cancel),
    );
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'unlock-title' }, form);
    const opener = document.activeElement as HTMLElement | null;
    let entered: Profile | null = null;

    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener?.isConnected) opener.focus();
      resolve(entered);
    });
    cancel.addEventListener('click', () => dialog.close());
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (needed === 'pin' && !/^[0-9]{4}$/.test(secret.value)) {
        showProblem(errorRegion, new ApiError('BAD_USER_INPUT', 'A PIN is exactly 4 digits.'));
        secret.focus();
        return;
      }
      submit.disabled = true;
      try {
        entered = await api.selectProfile(target.id, needed === 'pin' ? { pin: secret.value } : { password: secret.value });
        dialog.close();
      } catch (error) {
        secret.value = '';
        showProblem(errorRegion, error);
        secret.focus();
      } finally {
        submit.disabled = false;
      }
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    queueMicrotask(() => secret.focus());
  });
}

function showProblem(region: HTMLElement, error: unknown): void {
  region.hidden = false;
  region.dataset['code'] = error instanceof ApiError ? error.code : 'UNKNOWN';
  // Here the server's own sentence is the useful one: what was wrong, and how many tries are
  // left before the profile locks.
  const own = error instanceof ApiError && (error.code === 'FORBIDDEN' || error.code === 'BAD_USER_INPUT');
  region.textContent = own ? error.message.replace(/`/g, '') : describeError(error);
}
