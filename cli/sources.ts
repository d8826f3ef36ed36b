// The inputs of `kubatch task add`: one item per blob under a prefix, per local file, or per number.
import { glob, stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { BlobSASPermissions, ContainerClient, ContainerSASPermissions } from "@azure/storage-blob";
import { parseRange } from "./range.ts";
import type { TemplateVars } from "../api/template.ts";
import { CliError, UsageError } from "./usage.ts";

export type Item = Omit<TemplateVars, "index">;

export function rangeItems(text: string): Item[] {
  const { from, to } = parseRange(text);
  const items: Item[] = [];
  for (let n = from; n <= to; n++) items.push({ item: String(n), name: String(n) });
  return items;
}

/** Files (not directories) matching a glob, sorted, as absolute paths. */
export async function fileItems(pattern: string): Promise<Item[]> {
  const paths: string[] = [];
  for await (const p of glob(pattern)) {
    const abs = resolve(p);
    if ((await stat(abs)).isFile()) paths.push(abs);
  }
  if (paths.length === 0) throw new CliError(`--from-files: no files match "${pattern}"`);
  return paths.sort().map((p) => ({ item: p, name: basename(p) }));
}

export interface BlobSource {
  containerUrl: string;
  prefix: string;
  connectionString?: string;
  /** With a connection string: give {blobUrl} a read-only SAS valid this long. */
  sasMs?: number;
}

/**
 * The container to list. A SAS in the URL authorizes by itself; otherwise the connection
 * string's account is used with the container named by the URL's last path segment (or the
 * argument itself when it is a bare container name); with neither, the container must be public.
 */
export function containerClient(src: BlobSource): ContainerClient {
  const url = httpUrl(src.containerUrl);
  if (url && url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--from-blobs: "${src.containerUrl}" is not an http(s) container URL`);
  if (url?.search) return new ContainerClient(src.containerUrl);
  const name = url ? url.pathname.split("/").filter(Boolean).at(-1) : src.containerUrl;
  if (!name) throw new UsageError(`--from-blobs: "${src.containerUrl}" names no container`);
  if (src.connectionString) {
    try {
      return new ContainerClient(src.connectionString, name);
    } catch (err) {
      throw new UsageError(`the connection string (--connection-string or AZURE_STORAGE_CONNECTION_STRING): ${(err as Error).message}`);
    }
  }
  if (!url) throw new UsageError(`--from-blobs: "${src.containerUrl}" is a container name, which needs --connection-string or AZURE_STORAGE_CONNECTION_STRING`);
  return new ContainerClient(src.containerUrl);
}

export async function blobItems(src: BlobSource): Promise<Item[]> {
  const container = containerClient(src);
  if (src.sasMs !== undefined && !src.connectionString) throw new UsageError("--sas-expiry needs an account key: pass --connection-string or set AZURE_STORAGE_CONNECTION_STRING");
  const items: Item[] = [];
  try {
    for await (const blob of container.listBlobsFlat({ prefix: src.prefix || undefined })) {
      const client = container.getBlobClient(blob.name);
      const blobUrl =
        src.sasMs === undefined
          ? client.url
          : await client.generateSasUrl({ permissions: BlobSASPermissions.parse("r"), expiresOn: new Date(Date.now() + src.sasMs) });
      items.push({ item: blob.name, name: basename(blob.name), blobName: blob.name, blobUrl });
    }
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    const hint = status === 403 || status === 401 ? " (pass --connection-string, set AZURE_STORAGE_CONNECTION_STRING, or put a SAS in the URL)" : "";
    throw new CliError(`--from-blobs: cannot list ${container.url.split("?")[0]}${hint}: ${(err as Error).message.split("\n")[0]}`);
  }
  if (items.length === 0) throw new CliError(`--from-blobs: no blobs under prefix "${src.prefix}" in ${container.url.split("?")[0]}`);
  return items;
}

/**
 * A collection's container URL (`task add --from-blobs … --collection`). The operator lists
 * the container and the nodes fetch from it, never with the CLI's key: given --sas-expiry,
 * the URL carries a read+list SAS made from the connection string, valid that long (so the
 * operator can list and each {blobUrl} can be read); otherwise it is the URL as given (a
 * SAS in it, or a public container). One name is listed first, so a container the operator
 * could not list, or one with nothing under the prefix, is refused here rather than in the
 * collection's status.
 */
export async function collectionContainerUrl(src: BlobSource): Promise<string> {
  const given = httpUrl(src.containerUrl);
  if (src.sasMs === undefined && !given) {
    throw new UsageError(`--from-blobs: "${src.containerUrl}" is a container name; with --collection the operator lists it, so give --sas-expiry (a read+list SAS made from the connection string) or the container's URL (with a SAS in it, or public)`);
  }
  const container = containerClient(src);
  let url = src.containerUrl;
  if (src.sasMs !== undefined) {
    if (given?.search) throw new UsageError(`--sas-expiry: ${src.containerUrl.split("?")[0]} carries a SAS already; leave --sas-expiry out to use it as it is`);
    if (!src.connectionString) throw new UsageError("--sas-expiry needs an account key: pass --connection-string or set AZURE_STORAGE_CONNECTION_STRING");
    try {
      url = await container.generateSasUrl({ permissions: ContainerSASPermissions.parse("rl"), expiresOn: new Date(Date.now() + src.sasMs) });
    } catch (err) {
      throw new UsageError(`--sas-expiry: cannot make a SAS for ${container.url.split("?")[0]}: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  const where = `${url.split("?")[0]}${src.prefix ? ` under prefix "${src.prefix}"` : ""}`;
  let first;
  try {
    first = await new ContainerClient(url).listBlobsFlat({ prefix: src.prefix || undefined }).byPage({ maxPageSize: 1 }).next();
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    const hint = status === 403 || status === 401 || status === 404 ? " (the operator would list it with this URL: give --sas-expiry with a connection string, or put a SAS in the URL)" : "";
    throw new CliError(`--from-blobs: cannot list ${where}${hint}: ${(err as Error).message.split("\n")[0]}`);
  }
  if (!first.value?.segment.blobItems.length) throw new CliError(`--from-blobs: no blobs in ${where}: the collection would have no items`);
  return url;
}

function httpUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
