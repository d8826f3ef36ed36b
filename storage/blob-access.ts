// Turns a URL and an optional credential (an Azure Storage connection string or a SAS
// token, as held by a Secret) into storage-blob clients, or a plain fetch for other URLs.
import { BlobClient, BlobServiceClient, ContainerClient, StorageSharedKeyCredential } from "@azure/storage-blob";

export type Credential = { kind: "none" } | { kind: "sas"; token: string } | { kind: "sharedKey"; credential: StorageSharedKeyCredential; connectionString: string };

export function parseCredential(secret: string | undefined): Credential {
  const value = secret?.trim();
  if (!value) return { kind: "none" };
  if (/(^|;)\s*AccountName=/i.test(value)) {
    const parts = Object.fromEntries(
      value
        .split(";")
        .filter(Boolean)
        .map((kv) => {
          const at = kv.indexOf("=");
          return [kv.slice(0, at).trim().toLowerCase(), kv.slice(at + 1).trim()];
        }),
    );
    if (!parts.accountname || !parts.accountkey) throw new Error("connection string needs AccountName and AccountKey");
    return { kind: "sharedKey", credential: new StorageSharedKeyCredential(parts.accountname, parts.accountkey), connectionString: value };
  }
  if (/(^\??|&)sig=/.test(value)) return { kind: "sas", token: value.replace(/^\?/, "") };
  throw new Error("credential is neither a connection string (AccountName=…;AccountKey=…) nor a SAS token (…&sig=…)");
}

function withSas(url: string, token: string): string {
  return url.includes("?") ? `${url}&${token}` : `${url}?${token}`;
}

export function containerClient(url: string, cred: Credential): ContainerClient {
  if (cred.kind === "sharedKey") return new ContainerClient(url, cred.credential);
  if (cred.kind === "sas") return new ContainerClient(withSas(url, cred.token));
  return new ContainerClient(url);
}

export function blobClient(url: string, cred: Credential): BlobClient | undefined {
  if (cred.kind === "sharedKey") return new BlobClient(url, cred.credential);
  if (cred.kind === "sas") return new BlobClient(withSas(url, cred.token));
  return undefined;
}

export function autoStorageContainer(connectionString: string | undefined, name: string): ContainerClient {
  if (!connectionString) throw new Error(`autoStorageContainerName "${name}" needs the operator's storage account (KUBATCH_AUTO_STORAGE_CONNECTION_STRING is not set)`);
  return BlobServiceClient.fromConnectionString(connectionString).getContainerClient(name);
}
