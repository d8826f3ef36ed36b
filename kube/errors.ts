// Readable API errors: client-node's ApiException carries the HTTP code and a JSON Status body
// (and the response headers, which only make logs unreadable).

type ApiError = { code?: number; body?: unknown; message?: string };

function status(err: unknown): { message?: string; reason?: string; details?: { causes?: { reason?: string }[] } } | undefined {
  const body = (err as ApiError)?.body;
  if (typeof body === "string") {
    try {
      return JSON.parse(body) as ReturnType<typeof status>;
    } catch {
      return undefined;
    }
  }
  return body && typeof body === "object" ? (body as ReturnType<typeof status>) : undefined;
}

export function errorMessage(err: unknown): string {
  const code = (err as ApiError)?.code;
  const s = status(err);
  if (code !== undefined && s?.message) return `HTTP ${code}: ${s.message}`;
  if (err instanceof Error) return err.message.split("\n")[0] ?? err.message;
  if (typeof code === "number") return `HTTP ${code}`;
  return String(err);
}

/** The HTTP status of a failed API call; undefined when no response came (reset, timeout, refused). */
export function httpStatus(err: unknown): number | undefined {
  const code = (err as ApiError)?.code;
  return typeof code === "number" ? code : undefined;
}

/** A write that lost a race (409) or whose object is gone (404): nothing to retry. */
export function isConflictOrGone(err: unknown): boolean {
  const code = (err as ApiError)?.code;
  return code === 409 || code === 404;
}

/** For `.catch()` of a write made from the cache: a lost race or a gone object is fine (the next event brings a fresh look). */
export function ignoreConflictOrGone(err: unknown): void {
  if (!isConflictOrGone(err)) throw err;
}

/** For `.catch()` of a delete or patch: an object already gone is fine, anything else is thrown. */
export function ignoreNotFound(err: unknown): void {
  if ((err as ApiError)?.code !== 404) throw err;
}

/** Writes into a namespace being deleted fail for good; retrying them only makes noise. */
export function isNamespaceTerminating(err: unknown): boolean {
  return (err as ApiError)?.code === 403 && (status(err)?.details?.causes ?? []).some((c) => c.reason === "NamespaceTerminating");
}
