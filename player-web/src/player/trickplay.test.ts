import { describe, expect, it } from 'vitest';
import { frameAt, tileUrl } from './trickplay';

const THUMBS = { url: '/media/v1/images/trickplay/tile-{index:4}.jpg?sig=abc', interval: 10, width: 320, height: 180, columns: 10, rows: 10 };

describe('tileUrl', () => {
  it('fills {index}, padded {index:N} and the URL-encoded forms', () => {
    expect(tileUrl('/t/{index}.jpg', 3)).toBe('/t/3.jpg');
    expect(tileUrl('/t/tile-{index:4}.jpg', 12)).toBe('/t/tile-0012.jpg');
    expect(tileUrl('/t/tile-%7Bindex%3A4%7D.jpg?s=1', 2)).toBe('/t/tile-0002.jpg?s=1');
    expect(tileUrl('/t/sprite.jpg', 5)).toBe('/t/sprite.jpg');
  });
});

describe('frameAt', () => {
  it('finds the tile and the cell of a time', () => {
    expect(frameAt(THUMBS, 0)).toMatchObject({ url: '/media/v1/images/trickplay/tile-0001.jpg?sig=abc', x: 0, y: 0 });
    // 125 s: frame 12 -> second row, third column of the first tile.
    expect(frameAt(THUMBS, 125)).toMatchObject({ x: 2 * 320, y: 1 * 180, sheetWidth: 3200, sheetHeight: 1800 });
    // 1005 s: frame 100 -> the first cell of the second tile.
    expect(frameAt(THUMBS, 1005)).toMatchObject({ url: '/media/v1/images/trickplay/tile-0002.jpg?sig=abc', x: 0, y: 0 });
  });

  it('uses the listed tile URLs when the server gives them', () => {
    const listed = { ...THUMBS, url: '/a.jpg?s=1', tileUrls: ['/a.jpg?s=1', '/b.jpg?s=2'] };
    expect(frameAt(listed, 1005)?.url).toBe('/b.jpg?s=2');
    expect(frameAt(listed, 2005)).toBeNull();
  });

  it('has nothing past the first tile of a single-image sprite, or for a broken description', () => {
    const single = { ...THUMBS, url: '/sprite.jpg' };
    expect(frameAt(single, 500)?.url).toBe('/sprite.jpg');
    expect(frameAt(single, 1000)).toBeNull();
    expect(frameAt({ ...THUMBS, interval: 0 }, 10)).toBeNull();
  });
});
