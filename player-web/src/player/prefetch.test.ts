import { describe, expect, it } from 'vitest';
import { fillTemplate } from './prefetch';

describe('fillTemplate', () => {
  const values = { id: '240p-235k', bandwidth: '267416', number: 1, time: 0 };

  it('fills the identifiers Flix and other packagers use', () => {
    expect(fillTemplate('video/240p/seg-$Number%05d$.m4s?exp=1&sig=x', values)).toBe('video/240p/seg-00001.m4s?exp=1&sig=x');
    expect(fillTemplate('$RepresentationID$/$Bandwidth$/$Number$.m4s', { ...values, number: 12 })).toBe('240p-235k/267416/12.m4s');
    expect(fillTemplate('$RepresentationID$/t$Time$.m4s', { ...values, time: 51200 })).toBe('240p-235k/t51200.m4s');
  });

  it('leaves an init segment without identifiers alone, and unescapes $$', () => {
    expect(fillTemplate('video/240p/init.mp4?sig=x', values)).toBe('video/240p/init.mp4?sig=x');
    expect(fillTemplate('a$$b', values)).toBe('a$b');
  });
});
