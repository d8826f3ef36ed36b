// Tesseract.js, fully offline: the English model comes from @tesseract.js-data/eng (LSTM
// "best_int", gzip), the WebAssembly core from tesseract.js-core in node_modules; nothing is
// fetched and no model cache is written (cacheMethod "none"; cachePath is a temp folder).
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import Tesseract from "tesseract.js";

const require = createRequire(import.meta.url);

/** The folder holding eng.traineddata.gz (LSTM best_int), resolved from this file. */
export const ENG_LANG_PATH = join(dirname(require.resolve("@tesseract.js-data/eng/package.json")), "4.0.0_best_int");

export interface OcrResult {
  text: string;
  /** Tesseract's mean confidence, 0..100. */
  confidence: number;
  /** Milliseconds spent in recognize(). */
  recognizeMs: number;
}

/** One Tesseract worker (loading it takes most of a short run); terminate() when done. */
export interface OcrEngine {
  recognize(image: Buffer): Promise<OcrResult>;
  terminate(): Promise<void>;
}

/** Starts a worker for English; the image's page segmentation is automatic unless psm is given (e.g. "7" for one line). */
export async function createOcrEngine(options: { psm?: string } = {}): Promise<OcrEngine> {
  const cachePath = mkdtempSync(join(tmpdir(), "kubatch-ocr-"));
  let workerError: unknown;
  const worker = await Tesseract.createWorker("eng", Tesseract.OEM.LSTM_ONLY, {
    langPath: ENG_LANG_PATH,
    gzip: true,
    cachePath,
    cacheMethod: "none",
    logger: () => {},
    errorHandler: (err: unknown) => {
      workerError = err;
    },
  });
  if (options.psm) await worker.setParameters({ tessedit_pageseg_mode: options.psm as Tesseract.PSM });
  return {
    async recognize(image) {
      workerError = undefined;
      const started = performance.now();
      const { data } = await worker.recognize(image);
      if (workerError) throw workerError instanceof Error ? workerError : new Error(String(workerError));
      return { text: data.text.trim(), confidence: data.confidence, recognizeMs: performance.now() - started };
    },
    async terminate() {
      await worker.terminate();
      rmSync(cachePath, { recursive: true, force: true });
    },
  };
}
