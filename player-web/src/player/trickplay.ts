// Trickplay: which sprite tile, and which cell of it, shows the frame at a given time.
//
// Tiles hold `columns x rows` frames, one every `interval` seconds, left to right then top
// to bottom. The tile images are `thumbnails.tileUrls` when listed (the server always lists
// them); otherwise `thumbnails.url` names them: a `{index}` in it (or `{index:4}` for zero-padding to 4 digits)
// is replaced by the tile's number, counted from 1 as the files are (tile-0001.jpg, ...), and
// a URL without `{index}` is a single image.

import type { Thumbnails } from '../api/types';

/** The server's `Thumbnails`; without `tileUrls`, `url` is a pattern or the one image. */
export type TileSheet = Omit<Thumbnails, 'tileUrls'> & Partial<Pick<Thumbnails, 'tileUrls'>>;

export interface TrickplayFrame {
  url: string;
  /** Offset of the frame inside the tile image, in the image's own pixels. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** The whole tile image's size, for CSS background-size. */
  sheetWidth: number;
  sheetHeight: number;
}

const INDEX = /\{index(?::(\d+))?\}|%7Bindex(?:%3A(\d+))?%7D/gi;

export function tileUrl(pattern: string, tile: number): string {
  return pattern.replace(INDEX, (_match, width?: string, encodedWidth?: string) => {
    const pad = Number(width ?? encodedWidth ?? 0);
    return String(tile).padStart(pad, '0');
  });
}

export function hasTiles(pattern: string): boolean {
  INDEX.lastIndex = 0;
  const found = INDEX.test(pattern);
  INDEX.lastIndex = 0;
  return found;
}

export function frameAt(thumbnails: TileSheet, seconds: number): TrickplayFrame | null {
  const { interval, width, height, columns, rows } = thumbnails;
  if (!(interval > 0 && width > 0 && height > 0 && columns > 0 && rows > 0)) return null;
  const frame = Math.max(0, Math.floor(seconds / interval));
  const perTile = columns * rows;
  const tile = Math.floor(frame / perTile);
  let url: string | undefined;
  if (thumbnails.tileUrls?.length) url = thumbnails.tileUrls[tile];
  else if (tile === 0 || hasTiles(thumbnails.url)) url = tileUrl(thumbnails.url, tile + 1);
  if (!url) return null; // past the last tile (or a single image's first)
  const cell = frame % perTile;
  return {
    url,
    x: (cell % columns) * width,
    y: Math.floor(cell / columns) * height,
    width,
    height,
    sheetWidth: columns * width,
    sheetHeight: rows * height,
  };
}
