import type { Profile } from '../api/types';
import { paletteStyle } from './art';
import { h } from './dom';

/** A profile's picture: its avatarUrl, or its initial on a colour derived from its id. */
export function avatar(profile: Pick<Profile, 'id' | 'name' | 'isKids' | 'avatarUrl'>, size: 'small' | 'large'): HTMLElement {
  const classes = `avatar avatar-${size}${profile.isKids ? ' avatar-kids' : ''}`;
  if (profile.avatarUrl) {
    return h('span', { class: classes, 'aria-hidden': 'true' }, h('img', { src: profile.avatarUrl, alt: '' }));
  }
  const initial = Array.from(profile.name.trim())[0]?.toUpperCase() ?? '?';
  return h(
    'span',
    { class: classes, style: paletteStyle(profile.id), 'aria-hidden': 'true' },
    h('span', { class: 'avatar-initial' }, initial),
    profile.isKids ? h('span', { class: 'avatar-kids-tag' }, 'kids') : null,
  );
}
