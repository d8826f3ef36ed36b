// Lists a collection's `source.blobs` container (under its prefix), name by name, with the
// Azure SDK (so what works against Azurite works against Azure). A SAS in the URL or a public
// container needs nothing; credentialsSecretRef's Secret is read as the namespace's node
// identity (kubatch-node), whose Role grants the Secrets the namespace's objects name: the
// operator holds no `get secrets` of its own, only `impersonate` on that ServiceAccount.
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { nodeServiceAccount } from "../../../api/identities.ts";
import type { CollectionSource } from "../../../api/task-collection.ts";
import { errorMessage, httpStatus } from "../../../kube/errors.ts";
import { asServiceAccount } from "../../../kube/kube-config.ts";
import { containerClient, parseCredential } from "../../../storage/blob-access.ts";

export type BlobSource = NonNullable<CollectionSource["blobs"]>;

/** The names of the blobs `source` holds, in the order the service lists them. */
export type BlobLister = (namespace: string, source: BlobSource, signal?: AbortSignal) => AsyncIterable<string>;

/** Why a listing could not start or went wrong (the collection's Ready condition says it). */
export class ListingFailed extends Error {
  readonly reason: "CredentialsNotReadable" | "BlobListingFailed";
  constructor(reason: ListingFailed["reason"], message: string) {
    super(message);
    this.reason = reason;
  }
}

/** A Secret key's value, read as the namespace's node identity. */
export type SecretReader = (namespace: string, ref: { name: string; key: string }) => Promise<string>;

export function nodeIdentitySecretReader(kc: KubeConfig): SecretReader {
  const core = kc.makeApiClient(CoreV1Api);
  return async (namespace, ref) => {
    let secret;
    try {
      secret = await core.readNamespacedSecret({ name: ref.name, namespace }, asServiceAccount(namespace, nodeServiceAccount));
    } catch (err) {
      const code = httpStatus(err);
      if (code === 403) throw new ListingFailed("CredentialsNotReadable", `Secret ${ref.name}: ${nodeServiceAccount} may not read it yet (the operator grants the Secrets the namespace's collections name; retrying): ${errorMessage(err)}`);
      if (code === 404) throw new ListingFailed("CredentialsNotReadable", `Secret ${ref.name} (source.blobs.credentialsSecretRef) does not exist in namespace ${namespace}`);
      throw err;
    }
    const data = secret.data?.[ref.key];
    if (data === undefined) throw new ListingFailed("CredentialsNotReadable", `Secret ${ref.name} has no key ${ref.key} (source.blobs.credentialsSecretRef.key)`);
    return Buffer.from(data, "base64").toString("utf8");
  };
}

export function makeBlobLister(readSecret: SecretReader): BlobLister {
  return async function* list(namespace, source, signal) {
    const ref = source.credentialsSecretRef;
    let credential;
    try {
      credential = parseCredential(ref ? await readSecret(namespace, ref) : undefined);
    } catch (err) {
      if (err instanceof ListingFailed) throw err;
      throw new ListingFailed("CredentialsNotReadable", `Secret ${ref?.name} key ${ref?.key}: ${errorMessage(err)}`);
    }
    const container = containerClient(source.containerUrl, credential);
    try {
      for await (const blob of container.listBlobsFlat({ ...(source.prefix ? { prefix: source.prefix } : {}), ...(signal ? { abortSignal: signal } : {}) })) yield blob.name;
    } catch (err) {
      const where = `${source.containerUrl.split("?")[0]}${source.prefix ? ` under "${source.prefix}"` : ""}`;
      throw new ListingFailed("BlobListingFailed", `listing ${where}: ${storageError(err)}`);
    }
  };
}

/** The storage service's answer in a line: status and error code (AuthorizationFailure, ContainerNotFound), or the network error. */
function storageError(err: unknown): string {
  const e = err as { statusCode?: number; code?: string; message?: string };
  const first = (e.message ?? String(err)).split("\n")[0]!.slice(0, 300);
  return e.statusCode ? `HTTP ${e.statusCode}${e.code ? ` ${e.code}` : ""}: ${first}` : first;
}
