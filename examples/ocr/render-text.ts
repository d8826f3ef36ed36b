// Draws one line of text with the built-in bitmap font: black on white, each font pixel a
// scale×scale square, with a margin all round (Tesseract reads best with a clear border), and
// edges softened by a small box blur (anti-aliasing: fewer misreadings than hard pixel steps).
import { FONT_ROWS, LETTER_SPACING, SPACE_WIDTH, glyph } from "./bitmap-font.ts";
import type { GrayImage } from "./png.ts";

export interface RenderOptions {
  /** Image pixels per font pixel (default 6: capitals 42 px high). */
  scale?: number;
  /** White border in font pixels (default 4). */
  margin?: number;
  /** Box blur radius in image pixels (default 1; 0 keeps hard edges). */
  smooth?: number;
}

/** Renders a single line; throws on a character the font lacks. */
export function renderLine(text: string, options: RenderOptions = {}): GrayImage {
  const scale = options.scale ?? 6;
  const margin = options.margin ?? 4;
  const smooth = options.smooth ?? 1;
  // Lay the line out in font pixels: a list of ink columns.
  const columns: boolean[][] = [];
  for (const char of text) {
    if (char === " ") {
      for (let i = 0; i < SPACE_WIDTH; i++) columns.push(new Array<boolean>(FONT_ROWS).fill(false));
      continue;
    }
    const g = glyph(char);
    if (!g) throw new Error(`the bitmap font has no glyph for ${JSON.stringify(char)}`);
    if (columns.length > 0) for (let i = 0; i < LETTER_SPACING; i++) columns.push(new Array<boolean>(FONT_ROWS).fill(false));
    for (let c = 0; c < g[0]!.length; c++) columns.push(g.map((row) => row[c]!));
  }
  const width = (columns.length + 2 * margin) * scale;
  const height = (FONT_ROWS + 2 * margin) * scale;
  const pixels = new Uint8Array(width * height).fill(255);
  columns.forEach((column, cx) => {
    column.forEach((ink, cy) => {
      if (!ink) return;
      const x0 = (cx + margin) * scale;
      const y0 = (cy + margin) * scale;
      for (let y = y0; y < y0 + scale; y++) pixels.fill(0, y * width + x0, y * width + x0 + scale);
    });
  });
  return boxBlur({ width, height, pixels }, smooth);
}

/** Each pixel becomes the mean of the (2r+1)² square around it (clipped at the borders). */
export function boxBlur(image: GrayImage, radius: number): GrayImage {
  if (radius <= 0) return image;
  const { width, height, pixels } = image;
  const blurred = new Uint8Array(pixels.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      let count = 0;
      for (let yy = Math.max(0, y - radius); yy <= Math.min(height - 1, y + radius); yy++) {
        for (let xx = Math.max(0, x - radius); xx <= Math.min(width - 1, x + radius); xx++) {
          sum += pixels[yy * width + xx]!;
          count++;
        }
      }
      blurred[y * width + x] = Math.round(sum / count);
    }
  }
  return { width, height, pixels: blurred };
}
