// The PNG encoder, the bitmap font and the sample images (no OCR here: see ocr.test.ts).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { FONT_CHARACTERS, FONT_ROWS, glyph } from "./bitmap-font.ts";
import { CORRUPT_IMAGE, DEFAULT_IMAGES_DIR, SAMPLE_TEXTS, TEXTS_FILE, makeImages } from "./make-images.ts";
import { PNG_SIGNATURE, crc32, decodeGrayPng, encodePng } from "./png.ts";
import { renderLine } from "./render-text.ts";

test("crc32 matches the standard check values", async (t) => {
  const cases: Record<string, { input: string; want: number }> = {
    "empty": { input: "", want: 0 },
    "check string": { input: "123456789", want: 0xcbf43926 },
    "IEND chunk type": { input: "IEND", want: 0xae426082 },
  };
  for (const [name, tc] of Object.entries(cases)) await t.test(name, () => assert.equal(crc32(Buffer.from(tc.input, "ascii")), tc.want));
});

test("encodePng writes a grayscale PNG that decodes to the same pixels", async (t) => {
  const cases: Record<string, { width: number; height: number }> = {
    "one pixel": { width: 1, height: 1 },
    "wide": { width: 17, height: 3 },
    "tall": { width: 2, height: 40 },
  };
  for (const [name, { width, height }] of Object.entries(cases)) {
    await t.test(name, () => {
      const pixels = Uint8Array.from({ length: width * height }, (_, i) => (i * 37) % 256);
      const png = encodePng({ width, height, pixels });
      assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE));
      assert.equal(png.toString("ascii", 12, 16), "IHDR");
      assert.deepEqual(decodeGrayPng(png), { width, height, pixels });
    });
  }
  await t.test("refuses a pixel count that does not match", () => assert.throws(() => encodePng({ width: 2, height: 2, pixels: new Uint8Array(3) }), /expected 4 pixels/));
});

test("the bitmap font has well-formed glyphs for every sample character", () => {
  for (const char of FONT_CHARACTERS) {
    const g = glyph(char)!;
    assert.equal(g.length, FONT_ROWS, `${char}: rows`);
    assert.ok(g.every((row) => row.length === g[0]!.length), `${char}: rows of one width`);
    assert.ok(g.some((row) => row.includes(true)), `${char}: has ink`);
  }
  for (const text of SAMPLE_TEXTS) for (const char of text) assert.ok(char === " " || glyph(char), `no glyph for ${char}`);
});

test("renderLine draws dark text on white with a margin, and refuses unknown characters", async (t) => {
  await t.test("layout", () => {
    const image = renderLine("Hi", { scale: 2, margin: 3, smooth: 0 });
    // H (5) + spacing (1) + i (3) columns, 3 margin columns each side, ×2.
    assert.equal(image.width, (5 + 1 + 3 + 6) * 2);
    assert.equal(image.height, (FONT_ROWS + 6) * 2);
    assert.equal(image.pixels[0], 255, "margin is white");
    assert.equal(image.pixels[3 * 2 * image.width + 3 * 2], 0, "top-left of H is ink");
  });
  await t.test("smoothing leaves grays at the edges", () => {
    const image = renderLine("Hi", { smooth: 1 });
    assert.ok(image.pixels.some((p) => p > 0 && p < 255));
  });
  await t.test("unknown character", () => assert.throws(() => renderLine("naïve"), /no glyph for "ï"/));
});

test("makeImages reproduces the bundled images and texts.json", () => {
  const dir = mkdtempSync(join(tmpdir(), "ocr-images-"));
  try {
    const images = makeImages(dir);
    assert.deepEqual(
      images.map((i) => i.file),
      [...SAMPLE_TEXTS.map((_, i) => `page-${i + 1}.png`), CORRUPT_IMAGE],
    );
    assert.deepEqual(readFileSync(join(dir, TEXTS_FILE), "utf8"), readFileSync(join(DEFAULT_IMAGES_DIR, TEXTS_FILE), "utf8"));
    for (const image of images) {
      const bundled = readFileSync(join(DEFAULT_IMAGES_DIR, image.file));
      const made = readFileSync(image.path);
      if (image.text === null) {
        assert.ok(made.equals(bundled), `${image.file} is byte-identical`);
        assert.throws(() => decodeGrayPng(made), `${image.file} does not decode`);
      } else {
        // Pixels, not bytes: another zlib build may compress differently.
        assert.deepEqual(decodeGrayPng(made), decodeGrayPng(bundled), `${image.file} has the bundled pixels`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
