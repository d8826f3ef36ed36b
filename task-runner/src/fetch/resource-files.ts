// Downloads Azure Batch resource files into a directory: the start task's init container
// (`task-runner fetch`) and the agent before each task both use this.
import { createWriteStream } from "node:fs";
import { chmod, mkdir, rename, rm } from "node:fs/promises";
import { dirname, resolve, sep } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ContainerClient } from "@azure/storage-blob";
import type { ResourceFile } from "../../../api/resource-file.ts";
import { autoStorageContainer, blobClient, containerClient, parseCredential } from "../../../storage/blob-access.ts";

export type FetchOptions = {
  /** Resolves a resource file's credentialsSecretRef to the Secret's value (from the environment in a pod). */
  credentialFor: (file: ResourceFile, index: number) => string | undefined;
  autoStorageConnectionString?: string;
  log?: (line: string) => void;
  attempts?: number;
};

export type Fetched = { path: string; bytes: number };

/** Downloads every file; the error of the first that fails names its index and source. */
export async function fetchResourceFiles(files: readonly ResourceFile[], destDir: string, opts: FetchOptions): Promise<Fetched[]> {
  const out: Fetched[] = [];
  for (const [index, file] of files.entries()) {
    const source = file.httpUrl ?? file.storageContainerUrl ?? `autoStorage:${file.autoStorageContainerName}`;
    try {
      const got = await fetchOne(file, destDir, opts.credentialFor(file, index), opts);
      for (const f of got) opts.log?.(`resourceFiles[${index}]: ${f.path} (${f.bytes} bytes)`);
      out.push(...got);
    } catch (err) {
      throw new Error(`resourceFiles[${index}] (${redact(source)}): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  return out;
}

async function fetchOne(file: ResourceFile, destDir: string, secret: string | undefined, opts: FetchOptions): Promise<Fetched[]> {
  const mode = parseInt(file.fileMode ?? "0770", 8);
  const cred = parseCredential(secret);
  if (file.httpUrl) {
    const target = inside(destDir, file.filePath ?? "");
    const client = blobClient(file.httpUrl, cred);
    const bytes = await retry(opts.attempts ?? 3, () =>
      client ? writeStream(target, async () => (await client.download()).readableStreamBody) : download(file.httpUrl!, target),
    );
    await chmod(target, mode);
    return [{ path: target, bytes }];
  }
  const container: ContainerClient = file.storageContainerUrl
    ? containerClient(file.storageContainerUrl, cred)
    : autoStorageContainer(opts.autoStorageConnectionString, file.autoStorageContainerName!);
  const baseDir = inside(destDir, file.filePath ?? "");
  const out: Fetched[] = [];
  for await (const blob of container.listBlobsFlat({ prefix: file.blobPrefix })) {
    const target = inside(baseDir, blob.name);
    const client = container.getBlobClient(blob.name);
    const bytes = await retry(opts.attempts ?? 3, () => writeStream(target, async () => (await client.download()).readableStreamBody));
    await chmod(target, mode);
    out.push({ path: target, bytes });
  }
  return out;
}

async function download(url: string, target: string): Promise<number> {
  const res = await fetch(url, { signal: AbortSignal.timeout(300_000) });
  if (!res.ok || !res.body) throw Object.assign(new Error(`HTTP ${res.status} ${res.statusText}`), { statusCode: res.status });
  return writeStream(target, async () => Readable.fromWeb(res.body as import("node:stream/web").ReadableStream));
}

/** Streams into a temporary file and renames it, so a crash never leaves a partial file under the real name. */
async function writeStream(target: string, open: () => Promise<NodeJS.ReadableStream | undefined>): Promise<number> {
  await mkdir(dirname(target), { recursive: true });
  const body = await open();
  if (!body) throw new Error("empty response body");
  const tmp = `${target}.kubatch-partial`;
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(body, counter, createWriteStream(tmp));
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return bytes;
}

/** Joins a relative path to a directory, refusing anything that would land outside it. */
export function inside(dir: string, relative: string): string {
  const base = resolve(dir);
  const target = resolve(base, relative);
  if (target !== base && !target.startsWith(base + sep)) throw new Error(`path "${relative}" leaves ${dir}`);
  return target;
}

async function retry<T>(attempts: number, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      const permanent = status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
      if (permanent || attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
}

function redact(url: string): string {
  return url.replace(/([?&]sig=)[^&]*/g, "$1REDACTED");
}

