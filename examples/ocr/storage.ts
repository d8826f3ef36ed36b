// Blob clients for the sample, from a connection string (AZURE_STORAGE_CONNECTION_STRING,
// e.g. Azurite's) or from URLs that carry their own SAS token.
import { AnonymousCredential, BlobClient, BlobServiceClient, ContainerClient, StorageSharedKeyCredential, type StoragePipelineOptions } from "@azure/storage-blob";

/** The sample's containers, as in the Azure Batch OCR sample. */
export const CONTAINERS = { images: "images", tool: "tesseract", results: "ocr-results" } as const;

export const CONNECTION_STRING_ENV = "AZURE_STORAGE_CONNECTION_STRING";

/** A few quick retries: a task should fail within seconds when storage is unreachable. */
const PIPELINE: StoragePipelineOptions = { retryOptions: { maxTries: 3, retryDelayInMs: 250, maxRetryDelayInMs: 2000, tryTimeoutInMs: 60_000 } };

/** Whether a URL carries a SAS token (a `sig` query parameter). */
export function hasSas(url: string): boolean {
  return new URL(url).searchParams.has("sig");
}

/** The account name and key of a connection string, for signing requests to URLs of that account. */
export function sharedKeyOf(connectionString: string): StorageSharedKeyCredential {
  const parts = new Map(
    connectionString
      .split(";")
      .filter((kv) => kv.includes("="))
      .map((kv) => [kv.slice(0, kv.indexOf("=")).trim().toLowerCase(), kv.slice(kv.indexOf("=") + 1).trim()] as const),
  );
  const name = parts.get("accountname");
  const key = parts.get("accountkey");
  if (!name || !key) throw new Error("the connection string needs AccountName and AccountKey");
  return new StorageSharedKeyCredential(name, key);
}

/** A client for a blob URL: its own SAS if it has one, else the connection string's key, else anonymous. */
export function blobClientFor(url: string, connectionString?: string): BlobClient {
  if (hasSas(url) || !connectionString) return new BlobClient(url, new AnonymousCredential(), PIPELINE);
  return new BlobClient(url, sharedKeyOf(connectionString), PIPELINE);
}

/** A client for a container URL, signed the same way as blobClientFor. */
export function containerClientFor(url: string, connectionString?: string): ContainerClient {
  if (hasSas(url) || !connectionString) return new ContainerClient(url, new AnonymousCredential(), PIPELINE);
  return new ContainerClient(url, sharedKeyOf(connectionString), PIPELINE);
}

/** A container of the connection string's account. */
export function namedContainer(connectionString: string, name: string): ContainerClient {
  return BlobServiceClient.fromConnectionString(connectionString, PIPELINE).getContainerClient(name);
}
