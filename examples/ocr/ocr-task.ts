// The program each OCR task runs (through the tesseract-wrapper script):
//   node examples/ocr/ocr-task.ts <imageUrl or path> <outputName> [resultsContainerUrl]
// It reads the image (a local path, or a blob URL: signed by its own SAS token or by
// AZURE_STORAGE_CONNECTION_STRING), recognises its text with tesseract.js fully offline,
// writes <outputName>.txt into the working directory, uploads it to the ocr-results
// container (resultsContainerUrl or OCR_RESULTS_URL, else ocr-results of the connection
// string's account; skipped with a notice when there are no credentials), and prints the
// text on stdout. Diagnostics and timings go to stderr.
import { readFile, writeFile } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createOcrEngine } from "./ocr.ts";
import { CONNECTION_STRING_ENV, CONTAINERS, blobClientFor, containerClientFor, namedContainer } from "./storage.ts";

export const EXIT = { ok: 0, failed: 1, usage: 2, inputUnavailable: 3, corruptImage: 4, uploadFailed: 5 } as const;

export const USAGE = "usage: ocr-task <imageUrl or path> <outputName> [resultsContainerUrl]";

/** A task failure with its exit code and a one-line message. */
export class OcrTaskError extends Error {
  readonly exitCode: number;
  constructor(exitCode: number, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}

export interface OcrTaskIo {
  cwd: string;
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
}

const isUrl = (s: string) => /^https?:\/\//i.test(s);

/** Magic numbers of the formats Tesseract (Leptonica) reads. */
const SIGNATURES: { format: string; bytes: number[]; at?: number }[] = [
  { format: "PNG", bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { format: "JPEG", bytes: [0xff, 0xd8, 0xff] },
  { format: "GIF", bytes: [0x47, 0x49, 0x46, 0x38] },
  { format: "BMP", bytes: [0x42, 0x4d] },
  { format: "TIFF", bytes: [0x49, 0x49, 0x2a, 0x00] },
  { format: "TIFF", bytes: [0x4d, 0x4d, 0x00, 0x2a] },
  { format: "WebP", bytes: [0x57, 0x45, 0x42, 0x50], at: 8 },
];

/** The image format named by the file's first bytes, or undefined. */
export function sniffImageFormat(bytes: Uint8Array): string | undefined {
  return SIGNATURES.find(({ bytes: sig, at = 0 }) => sig.every((b, i) => bytes[at + i] === b))?.format;
}

/** The output file's base name: <outputName> without a trailing .txt; a plain file name. */
export function outputBaseName(outputName: string): string {
  const name = outputName.replace(/\.txt$/i, "");
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new OcrTaskError(EXIT.usage, `outputName must be a file name of letters, digits, '.', '_' and '-' (got ${JSON.stringify(outputName)})`);
  }
  return name;
}

async function readImage(source: string, io: OcrTaskIo): Promise<Buffer> {
  try {
    if (!isUrl(source)) return await readFile(resolve(io.cwd, source));
    return await blobClientFor(source, io.env[CONNECTION_STRING_ENV]).downloadToBuffer();
  } catch (err) {
    const { statusCode, code, message } = err as { statusCode?: number; code?: string; message?: string };
    const detail = firstLine(message);
    const reason = statusCode ? [`HTTP ${statusCode}`, code, detail].filter(Boolean).join(" ") : detail;
    throw new OcrTaskError(EXIT.inputUnavailable, `cannot read the image ${redact(source)}: ${reason}`);
  }
}

/** The container to upload to, or undefined when no destination or credentials are configured. */
function resultsContainer(explicitUrl: string | undefined, env: NodeJS.ProcessEnv) {
  const connectionString = env[CONNECTION_STRING_ENV];
  const url = explicitUrl ?? env.OCR_RESULTS_URL;
  if (url) return containerClientFor(url, connectionString);
  if (connectionString) return namedContainer(connectionString, CONTAINERS.results);
  return undefined;
}

const firstLine = (text: string | undefined) => (text ?? "").split("\n")[0]!.trim();

/** A URL without its query string (SAS tokens stay out of logs). */
function redact(source: string): string {
  return isUrl(source) ? source.split("?")[0]! : source;
}

/** Runs one OCR task; returns its exit code. */
export async function runOcrTask(args: string[], io: OcrTaskIo): Promise<number> {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  try {
    const [source, outputName, resultsUrl, ...rest] = args;
    if (!source || !outputName || rest.length > 0) throw new OcrTaskError(EXIT.usage, USAGE);
    const name = outputBaseName(outputName);
    const label = basename(redact(source));

    const image = await readImage(source, io);
    const format = sniffImageFormat(image);
    if (!format) throw new OcrTaskError(EXIT.corruptImage, `corrupt image ${label}: not a PNG, JPEG, GIF, BMP, TIFF or WebP file (${image.length} bytes)`);

    const loadStarted = performance.now();
    const engine = await createOcrEngine({ psm: io.env.OCR_PSM || undefined });
    const loadMs = performance.now() - loadStarted;
    let result;
    try {
      result = await engine.recognize(image);
    } catch (err) {
      const detail = firstLine((err as Error).message ?? String(err)).replace(/^Error: /, "");
      throw new OcrTaskError(EXIT.corruptImage, `corrupt image ${label}: tesseract cannot decode this ${format} file (${detail})`);
    } finally {
      await engine.terminate();
    }

    const file = `${name}.txt`;
    await writeFile(resolve(io.cwd, file), result.text + "\n");
    io.out(result.text);

    const container = resultsContainer(resultsUrl, io.env);
    let uploaded = "not uploaded: no results container URL or storage connection string";
    if (container) {
      try {
        await container.getBlockBlobClient(file).uploadFile(resolve(io.cwd, file), { blobHTTPHeaders: { blobContentType: "text/plain; charset=utf-8" } });
        uploaded = `uploaded to ${redact(container.url)}/${file}`;
      } catch (err) {
        throw new OcrTaskError(EXIT.uploadFailed, `cannot upload ${file} to ${redact(container.url)}: ${firstLine((err as Error).message)}`);
      }
    }
    io.err(
      `ocr-task: ${label} → ${file} (${uploaded}); ${result.text.length} characters, confidence ${result.confidence}; ` +
        `engine load ${seconds(loadMs)}, recognise ${seconds(result.recognizeMs)}, total ${seconds(performance.now())}`,
    );
    return EXIT.ok;
  } catch (err) {
    if (err instanceof OcrTaskError) {
      io.err(`ocr-task: ${err.message}`);
      return err.exitCode;
    }
    io.err(`ocr-task: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return EXIT.failed;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const io: OcrTaskIo = { cwd: process.cwd(), env: process.env, out: (l) => console.log(l), err: (l) => console.error(l) };
  process.exitCode = await runOcrTask(process.argv.slice(2), io);
}
