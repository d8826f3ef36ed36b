// Real tesseract.js, offline, over the bundled images: each must be read with CER ≤ 5%.
// One engine for all (loading it is most of the cost); a few seconds in all.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { characterErrorRate } from "./cer.ts";
import { createOcrEngine, type OcrEngine } from "./ocr.ts";
import { loadSampleImages } from "./upload.ts";

const MAX_CER = 0.05;
let engine: OcrEngine;

before(async () => {
  engine = await createOcrEngine();
});
after(async () => {
  await engine?.terminate();
});

test("each bundled image is recognised with CER ≤ 5%", { timeout: 120_000 }, async (t) => {
  const images = loadSampleImages().filter((i) => i.text !== null);
  assert.ok(images.length >= 6, "at least six images with text");
  for (const image of images) {
    await t.test(image.file, async () => {
      const result = await engine.recognize(readFileSync(image.path));
      const cer = characterErrorRate(result.text, image.text!);
      t.diagnostic(`${image.file}: CER ${(cer * 100).toFixed(1)}% in ${result.recognizeMs.toFixed(0)} ms: ${JSON.stringify(result.text)}`);
      assert.ok(cer <= MAX_CER, `CER ${(cer * 100).toFixed(1)}% > 5%: got ${JSON.stringify(result.text)}, want ${JSON.stringify(image.text)}`);
    });
  }
});

test("the corrupt image is refused by tesseract", { timeout: 60_000 }, async () => {
  const corrupt = loadSampleImages().find((i) => i.text === null)!;
  await assert.rejects(engine.recognize(readFileSync(corrupt.path)), /read image/);
});
