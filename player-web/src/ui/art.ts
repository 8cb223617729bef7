// Artwork: the title's poster or backdrop when it has one, otherwise a generated one
// (the title set on a gradient derived from its id, so it is stable across visits).

import { h } from './dom';

/** FNV-1a: a small, stable hash for picking colours. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export interface Palette {
  hue: number;
  accent: number;
  angle: number;
  spotX: number;
  spotY: number;
}

export function palette(seed: string): Palette {
  const hash = hashString(seed);
  const hue = hash % 360;
  // An analogous-to-complementary accent keeps neighbours in a row from looking alike.
  const accent = (hue + 40 + ((hash >>> 9) % 140)) % 360;
  return {
    hue,
    accent,
    angle: 100 + ((hash >>> 17) % 140),
    spotX: 15 + ((hash >>> 5) % 70),
    spotY: 10 + ((hash >>> 13) % 50),
  };
}

export function paletteStyle(seed: string): Record<string, string> {
  const p = palette(seed);
  return {
    '--p-hue': String(p.hue),
    '--p-accent': String(p.accent),
    '--p-angle': `${p.angle}deg`,
    '--p-x': `${p.spotX}%`,
    '--p-y': `${p.spotY}%`,
  };
}

interface ArtSubject {
  id: string;
  title: string;
  posterUrl: string | null;
  backdropUrl: string | null;
  genres?: string[] | undefined;
}

/** Title size class: long titles get a smaller face so they still fit the card. */
function lengthClass(title: string): string {
  if (title.length > 34) return 'art-title-xs';
  if (title.length > 22) return 'art-title-s';
  if (title.length > 12) return 'art-title-m';
  return 'art-title-l';
}

/** Strip MovieLens' "Title, The (1995)" leftovers for display on generated art. */
export function displayTitle(title: string): string {
  return title.replace(/\s*\(\d{4}\)\s*$/, '');
}

function generated(subject: ArtSubject, shape: 'poster' | 'backdrop'): HTMLElement {
  return h(
    'div',
    { class: `art art-generated art-${shape}`, style: paletteStyle(subject.id), 'aria-hidden': 'true' },
    h('span', { class: 'art-mark' }, 'F'),
    h(
      'span',
      { class: 'art-text' },
      subject.genres?.[0] ? h('span', { class: 'art-kicker' }, subject.genres[0]) : null,
      h('span', { class: `art-title ${lengthClass(subject.title)}` }, displayTitle(subject.title)),
    ),
  );
}

export function artwork(subject: ArtSubject, shape: 'poster' | 'backdrop'): HTMLElement {
  const url = shape === 'poster' ? subject.posterUrl ?? subject.backdropUrl : subject.backdropUrl;
  if (!url) return generated(subject, shape);
  const frame = h('div', { class: `art art-image art-${shape}`, style: paletteStyle(subject.id) });
  const image = h('img', { src: url, alt: '', loading: 'lazy', decoding: 'async' });
  image.addEventListener('error', () => frame.replaceWith(generated(subject, shape)), { once: true });
  frame.appendChild(image);
  return frame;
}
