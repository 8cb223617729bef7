// "Who's watching?": pick a profile, or manage them (create, edit, delete; five at most).

import * as api from '../api/queries';
import type { Profile } from '../api/types';
import { navigate, safeNext, type ScreenFactory } from '../router';
import { currentAccount, loadAccount, setActiveProfile } from '../session';
import { avatar } from '../ui/avatar';
import { h, icon } from '../ui/dom';
import { showError } from '../ui/errors';
import { enterProfile } from '../ui/unlock';

const MAX_PROFILES = 5;
const KIDS_MAX = 2;
const MATURITY: { level: number; label: string }[] = [
  { level: 1, label: 'Little kids — G, TV-Y, TV-G' },
  { level: 2, label: 'Older kids — PG, TV-PG' },
  { level: 3, label: 'Teens — PG-13, TV-14' },
  { level: 4, label: 'Adults — R' },
  { level: 5, label: 'All maturity ratings — NC-17, TV-MA' },
];

export const profilesScreen: ScreenFactory = ({ main, query }) => {
  let managing = query.get('manage') === '1';
  const next = safeNext(query.get('next'));
  const errorRegion = h('div', { class: 'alert', role: 'alert', hidden: true, tabindex: '-1' });
  const heading = h('h1', { class: 'profiles-title' });
  const grid = h('ul', { class: 'profiles-grid', role: 'list' });
  const note = h('p', { class: 'profiles-note' });
  const manageButton = h('button', { class: 'button button-outline', type: 'button' });
  const dialogHost = h('div');

  const render = (focusId?: string) => {
    const profiles = currentAccount()?.profiles ?? [];
    document.title = managing ? 'Manage profiles · Flix' : 'Who’s watching? · Flix';
    heading.textContent = managing ? 'Manage profiles' : 'Who’s watching?';
    manageButton.textContent = managing ? 'Done' : 'Manage profiles';
    manageButton.setAttribute('aria-pressed', String(managing));
    grid.replaceChildren(...profiles.map((profile) => h('li', null, profileTile(profile))));
    if (profiles.length < MAX_PROFILES) grid.append(h('li', null, addTile()));
    grid.classList.toggle('profiles-managing', managing);
    note.textContent =
      profiles.length >= MAX_PROFILES
        ? `You have ${MAX_PROFILES} profiles, the most an account can have. Delete one to add another.`
        : profiles.length === 0
          ? 'Create a profile for everyone who watches. Kids profiles only show titles rated PG and below.'
          : '';
    note.hidden = !note.textContent;
    if (focusId) grid.querySelector<HTMLElement>(`[data-profile-id="${CSS.escape(focusId)}"]`)?.focus();
  };

  const profileTile = (profile: Profile): HTMLElement =>
    h(
      'button',
      {
        class: 'profile-tile',
        type: 'button',
        dataset: { profileId: profile.id, kids: String(profile.isKids) },
        'aria-label': managing
          ? `Edit profile ${profile.name}${profile.isKids ? ' (kids)' : ''}`
          : `${profile.name}${profile.isKids ? ', kids profile' : ''}`,
        on: { click: () => (managing ? openEditor(profile) : void choose(profile)) },
      },
      h('span', { class: 'profile-picture' }, avatar(profile, 'large'), managing ? h('span', { class: 'profile-edit-mark' }, icon('pencil')) : null),
      h('span', { class: 'profile-name' }, profile.name),
    );

  const addTile = (): HTMLElement =>
    h(
      'button',
      { class: 'profile-tile profile-add', type: 'button', 'aria-label': 'Add a profile', on: { click: () => openEditor(null) } },
      h('span', { class: 'profile-picture' }, h('span', { class: 'avatar avatar-large avatar-add' }, icon('plus'))),
      h('span', { class: 'profile-name' }, 'Add profile'),
    );

  const choose = async (profile: Profile) => {
    showError(errorRegion, null);
    try {
      const entered = await enterProfile(profile);
      if (!entered) return; // the PIN or password prompt was cancelled
      setActiveProfile(entered);
      navigate(next ?? '/', { replace: true });
    } catch (error) {
      showError(errorRegion, error);
      errorRegion.focus();
    }
  };

  const openEditor = (profile: Profile | null) => {
    const opener = document.activeElement as HTMLElement | null;
    const dialog = profileEditor(profile, async (saved) => {
      await loadAccount(true);
      render(saved ?? undefined);
      if (!saved) grid.querySelector<HTMLElement>('button')?.focus();
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener?.isConnected) opener.focus();
    });
    dialogHost.appendChild(dialog);
    dialog.showModal();
  };

  manageButton.addEventListener('click', () => {
    managing = !managing;
    const url = managing ? '/profiles?manage=1' : `/profiles${next ? `?next=${encodeURIComponent(next)}` : ''}`;
    history.replaceState(history.state, '', url); // keep the router's state (its Back depth)
    render();
  });

  main.replaceChildren(
    h(
      'div',
      { class: 'profiles' },
      h('a', { class: 'logo', href: '/', 'aria-label': 'Flix home' }, 'FLIX'),
      h('div', { class: 'profiles-center' }, heading, errorRegion, grid, note, manageButton),
      dialogHost,
    ),
  );
  render();
  const profiles = currentAccount()?.profiles ?? [];
  // Straight into creating the first profile of a new account.
  if (profiles.length === 0) openEditor(null);
};

/** The create/edit dialog. `done(id)` runs after a save (the profile's id) or a delete (null). */
function profileEditor(profile: Profile | null, done: (savedId: string | null) => Promise<void>): HTMLDialogElement {
  const errorRegion = h('div', { class: 'alert', role: 'alert', hidden: true, tabindex: '-1' });
  const name = h('input', { id: 'profile-name', name: 'name', required: true, maxLength: 50, autocomplete: 'off', value: profile?.name ?? '' });
  const kids = h('input', { id: 'profile-kids', name: 'kids', type: 'checkbox', role: 'switch', checked: profile?.isKids ?? false });
  const maturity = h(
    'select',
    { id: 'profile-maturity', name: 'maturity' },
    MATURITY.map(({ level, label }) => h('option', { value: String(level) }, label)),
  );
  maturity.value = String(profile?.maturityLevel ?? 4);
  const syncKids = () => {
    for (const option of Array.from(maturity.options)) option.disabled = kids.checked && Number(option.value) > KIDS_MAX;
    if (kids.checked && Number(maturity.value) > KIDS_MAX) maturity.value = String(KIDS_MAX);
  };
  kids.addEventListener('change', syncKids);
  syncKids();

  const save = h('button', { class: 'button button-primary', type: 'submit' }, 'Save');
  const cancel = h('button', { class: 'button button-outline', type: 'button' }, 'Cancel');
  const remove = profile ? h('button', { class: 'button button-danger', type: 'button' }, 'Delete profile') : null;
  const form = h(
    'form',
    { class: 'profile-form', method: 'dialog', novalidate: true },
    h('h2', { id: 'profile-dialog-title' }, profile ? 'Edit profile' : 'Add a profile'),
    profile ? null : h('p', { class: 'dialog-lead' }, 'Add a profile for another person watching Flix.'),
    errorRegion,
    h('div', { class: 'field' }, h('label', { for: 'profile-name' }, 'Name'), name),
    h(
      'div',
      { class: 'field field-switch' },
      kids,
      h('label', { for: 'profile-kids' }, 'Kids profile', h('span', { class: 'field-hint' }, 'Only titles rated PG / TV-PG and below, with a simpler homepage.')),
    ),
    h('div', { class: 'field' }, h('label', { for: 'profile-maturity' }, 'Maturity rating'), maturity),
    h('div', { class: 'dialog-actions' }, save, cancel, remove),
  );
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'profile-dialog-title' }, form);

  cancel.addEventListener('click', () => dialog.close());
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showError(errorRegion, null);
    const fields = { name: name.value.trim(), isKids: kids.checked, maturityLevel: Number(maturity.value) };
    if (!fields.name) {
      errorRegion.hidden = false;
      errorRegion.dataset['code'] = 'BAD_USER_INPUT';
      errorRegion.textContent = 'Please give the profile a name.';
      name.setAttribute('aria-invalid', 'true');
      name.focus();
      return;
    }
    save.disabled = true;
    try {
      const saved = profile ? await api.updateProfile(profile.id, fields) : await api.createProfile(fields);
      dialog.close();
      await done(saved.id);
    } catch (error) {
      showError(errorRegion, error);
      errorRegion.focus();
    } finally {
      save.disabled = false;
    }
  });

  remove?.addEventListener('click', () => {
    // A second, explicit step: deleting loses the profile's history, list and ratings.
    const confirm = h('button', { class: 'button button-danger', type: 'button' }, 'Delete');
    const keep = h('button', { class: 'button button-outline', type: 'button' }, 'Keep profile');
    const question = h(
      'div',
      { class: 'confirm', role: 'group', 'aria-labelledby': 'confirm-text' },
      h('p', { id: 'confirm-text' }, `Delete ${profile?.name}? Its viewing history, My List and ratings will be gone for good.`),
      h('div', { class: 'dialog-actions' }, confirm, keep),
    );
    form.querySelector('.dialog-actions')?.replaceWith(question);
    keep.addEventListener('click', () => {
      question.replaceWith(h('div', { class: 'dialog-actions' }, save, cancel, remove));
      remove.focus();
    });
    confirm.addEventListener('click', async () => {
      if (!profile) return;
      confirm.disabled = true;
      try {
        await api.deleteProfile(profile.id);
        dialog.close();
        await done(null);
      } catch (error) {
        showError(errorRegion, error);
        errorRegion.focus();
        confirm.disabled = false;
      }
    });
    confirm.focus();
  });
  queueMicrotask(() => name.focus());
  return dialog;
}
