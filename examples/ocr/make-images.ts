// The sample's input: one PNG per sentence, drawn with the built-in bitmap font, a
// deliberately corrupt "corrupt.png", and texts.json mapping each file to its expected text
// (null for the corrupt one). Deterministic: the same files every run.
//   node examples/ocr/make-images.ts [folder]     (default: examples/ocr/images)
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { encodePng } from "./png.ts";
import { renderLine } from "./render-text.ts";

/** The expected text of each image, in task order (task_no_0 reads page-1.png, …). */
export const SAMPLE_TEXTS: readonly string[] = [
  "The quick brown fox jumps over the lazy dog.",
  "Azure Batch runs each task on a warm node.",
  "A start task copies the wrapper to every node.",
  "Kubernetes keeps the state you declare.",
  "Pack my box with five dozen liquor jugs!",
  "Seven pages were read in 42 seconds.",
  "Results go to the ocr-results container.",
];

export const CORRUPT_IMAGE = "corrupt.png";
export const TEXTS_FILE = "texts.json";
export const DEFAULT_IMAGES_DIR = fileURLToPath(new URL("./images/", import.meta.url));

export interface SampleImage {
  /** File name, e.g. page-1.png. */
  file: string;
  /** Absolute path of the written file. */
  path: string;
  /** Expected text; null for the corrupt image (its task must fail). */
  text: string | null;
}

/** The PNG of the i-th sentence (0-based) and the bytes of the corrupt file. */
export function sampleFiles(texts: readonly string[] = SAMPLE_TEXTS): { file: string; bytes: Buffer; text: string | null }[] {
  const pages = texts.map((text, i) => ({ file: `page-${i + 1}.png`, bytes: encodePng(renderLine(text)), text }));
  // A PNG signature and header followed by junk: it looks like a PNG but cannot be decoded.
  const head = pages[0]?.bytes.subarray(0, 33) ?? Buffer.alloc(0);
  const corrupt = Buffer.concat([head, Buffer.from("this is not image data\n".repeat(8))]);
  return [...pages, { file: CORRUPT_IMAGE, bytes: corrupt, text: null }];
}

/** Writes the images and texts.json into dir (created if missing); returns them in order, the corrupt one last. */
export function makeImages(dir: string = DEFAULT_IMAGES_DIR, texts: readonly string[] = SAMPLE_TEXTS): SampleImage[] {
  mkdirSync(dir, { recursive: true });
  const images = sampleFiles(texts).map(({ file, bytes, text }) => {
    const path = resolve(dir, file);
    writeFileSync(path, bytes);
    return { file, path, text };
  });
  const expected = Object.fromEntries(images.map((i) => [i.file, i.text]));
  writeFileSync(join(dir, TEXTS_FILE), JSON.stringify(expected, null, 2) + "\n");
  return images;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = resolve(process.argv[2] ?? DEFAULT_IMAGES_DIR);
  const images = makeImages(dir);
  console.log(`wrote ${images.length} images and ${TEXTS_FILE} to ${dir}`);
}
