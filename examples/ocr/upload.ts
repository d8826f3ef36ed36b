// Puts the sample into blob storage, as the Azure Batch OCR sample's client does: the PNGs
// into the "images" container (under a prefix), the tesseract-wrapper script into the
// "tesseract" container (the pool's start task copies it to $AZ_BATCH_NODE_SHARED_DIR), and
// creates the "ocr-results" container the tasks upload to.
//   AZURE_STORAGE_CONNECTION_STRING=… node examples/ocr/upload.ts [prefix]
// (without the variable: the local cluster's Azurite, from .kubatch/cluster/cluster.json).
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BlobSASPermissions, ContainerSASPermissions, type ContainerClient } from "@azure/storage-blob";
import { DEFAULT_IMAGES_DIR, TEXTS_FILE, type SampleImage } from "./make-images.ts";
import { CONNECTION_STRING_ENV, CONTAINERS, namedContainer } from "./storage.ts";

/** The kubatch checkout this file belongs to. */
export const REPO_DIR = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
export const WRAPPER_NAME = "tesseract-wrapper";

/**
 * The wrapper a task runs: examples/ocr/ocr-task.ts of a kubatch checkout, with that
 * checkout's Node 24 (node_modules/.bin/node) when it has one, else the `node` on PATH. The
 * checkout is $KUBATCH_REPO, else /opt/kubatch (the `ocr` node image's, from
 * images/task-runner.Dockerfile: tasks do not inherit the image's environment), else the
 * checkout that generated the wrapper, for running it by hand.
 */
export function wrapperScript(repoDir: string = REPO_DIR): string {
  return [
    "#!/bin/sh",
    "# kubatch OCR sample: runs examples/ocr/ocr-task.ts of a kubatch checkout on this machine.",
    "# usage: tesseract-wrapper <imageUrl or path> <outputName> [resultsContainerUrl]",
    // KUBATCH_REPO, else the ocr node image's /opt/kubatch, else the checkout that made this.
    `repo="\${KUBATCH_REPO:-/opt/kubatch}"`,
    `[ -f "$repo/examples/ocr/ocr-task.ts" ] || repo=${JSON.stringify(repoDir)}`,
    'node="$repo/node_modules/.bin/node"',
    '[ -x "$node" ] || node=node',
    'exec "$node" "$repo/examples/ocr/ocr-task.ts" "$@"',
    "",
  ].join("\n");
}

/** The images listed in a folder's texts.json (as written by makeImages), in order. */
export function loadSampleImages(dir: string = DEFAULT_IMAGES_DIR): SampleImage[] {
  const texts = JSON.parse(readFileSync(join(dir, TEXTS_FILE), "utf8")) as Record<string, string | null>;
  return Object.entries(texts).map(([file, text]) => ({ file, path: resolve(dir, file), text }));
}

export interface UploadOptions {
  connectionString: string;
  /** Images to upload (default: the bundled ones in examples/ocr/images). */
  images?: SampleImage[];
  /** Blob name prefix in the images container (default "ocr/"). */
  prefix?: string;
  /** Checkout path written into the wrapper (default: this one). */
  repoDir?: string;
  /** Also return read (images, wrapper) and write (results) SAS URLs valid this long (default: none). */
  sasMinutes?: number;
}

export interface UploadedImage extends SampleImage {
  /** Task name base, e.g. page-1: the task writes page-1.txt. */
  name: string;
  blobName: string;
  /** Blob URL (no credentials). */
  url: string;
  /** Read-only SAS URL, when sasMinutes was given. */
  sasUrl?: string;
}

export interface UploadedSample {
  images: UploadedImage[];
  /** The wrapper's blob URL in the tesseract container, and a read SAS URL when asked. */
  wrapper: { url: string; sasUrl?: string };
  /** Container URLs (no credentials). */
  containers: { images: string; tool: string; results: string };
  /** Write/create SAS URL of the ocr-results container, when sasMinutes was given. */
  resultsSasUrl?: string;
}

async function ensure(connectionString: string, name: string): Promise<ContainerClient> {
  const container = namedContainer(connectionString, name);
  await container.createIfNotExists();
  return container;
}

/** Creates the three containers and uploads the images and the wrapper (overwriting earlier uploads). */
export async function uploadSample(options: UploadOptions): Promise<UploadedSample> {
  const { connectionString, prefix = "ocr/", sasMinutes } = options;
  const images = options.images ?? loadSampleImages();
  const [imageContainer, toolContainer, resultsContainer] = await Promise.all([
    ensure(connectionString, CONTAINERS.images),
    ensure(connectionString, CONTAINERS.tool),
    ensure(connectionString, CONTAINERS.results),
  ]);
  const expiresOn = sasMinutes ? new Date(Date.now() + sasMinutes * 60_000) : undefined;
  const readSas = (blob: { generateSasUrl: (o: { permissions: BlobSASPermissions; expiresOn: Date }) => Promise<string> }) =>
    expiresOn ? blob.generateSasUrl({ permissions: BlobSASPermissions.parse("r"), expiresOn }) : Promise.resolve(undefined);

  const uploaded = await Promise.all(
    images.map(async (image) => {
      const blobName = `${prefix}${image.file}`;
      const blob = imageContainer.getBlockBlobClient(blobName);
      await blob.uploadFile(image.path, { blobHTTPHeaders: { blobContentType: "image/png" } });
      return { ...image, name: image.file.replace(/\.[^.]+$/, ""), blobName, url: blob.url, sasUrl: await readSas(blob) };
    }),
  );
  const script = wrapperScript(options.repoDir);
  const wrapperBlob = toolContainer.getBlockBlobClient(WRAPPER_NAME);
  await wrapperBlob.upload(script, Buffer.byteLength(script), { blobHTTPHeaders: { blobContentType: "text/x-shellscript" } });
  const resultsSasUrl = expiresOn
    ? await resultsContainer.generateSasUrl({ permissions: ContainerSASPermissions.parse("rcw"), expiresOn })
    : undefined;
  return {
    images: uploaded,
    wrapper: { url: wrapperBlob.url, sasUrl: await readSas(wrapperBlob) },
    containers: { images: imageContainer.url, tool: toolContainer.url, results: resultsContainer.url },
    ...(resultsSasUrl ? { resultsSasUrl } : {}),
  };
}

/** The recognised texts in the ocr-results container (blobs starting with prefix): blob name (e.g. page-1.txt) → text. */
export async function readResults(connectionString: string, prefix = ""): Promise<Map<string, string>> {
  const container = namedContainer(connectionString, CONTAINERS.results);
  const results = new Map<string, string>();
  if (!(await container.exists())) return results;
  for await (const blob of container.listBlobsFlat({ prefix })) {
    results.set(blob.name, (await container.getBlobClient(blob.name).downloadToBuffer()).toString("utf8"));
  }
  return results;
}

/** Deletes the ocr-results blobs starting with prefix (all by default), before a fresh run. */
export async function clearResults(connectionString: string, prefix = ""): Promise<void> {
  const container = namedContainer(connectionString, CONTAINERS.results);
  if (!(await container.exists())) return;
  for await (const blob of container.listBlobsFlat({ prefix })) await container.deleteBlob(blob.name);
}

/** The local cluster's Azurite connection string, if a cluster is up (.kubatch/cluster/cluster.json). */
export function localAzuriteConnectionString(repoDir: string = REPO_DIR): string | undefined {
  const file = join(repoDir, ".kubatch", "cluster", "cluster.json");
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, "utf8")) as { azuriteConnectionString?: string }).azuriteConnectionString;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const connectionString = process.env[CONNECTION_STRING_ENV] ?? localAzuriteConnectionString();
  if (!connectionString) {
    console.error(`upload: set ${CONNECTION_STRING_ENV}, or start the local cluster (make cluster-up) for its Azurite`);
    process.exit(2);
  }
  const sample = await uploadSample({ connectionString, prefix: process.argv[2] ?? "ocr/" });
  for (const image of sample.images) console.log(`${image.url}  ${image.text === null ? "(corrupt)" : JSON.stringify(image.text)}`);
  console.log(`${sample.wrapper.url}`);
  console.log(`results go to ${sample.containers.results}`);
}
