import { z } from "zod";

/** A Kubernetes object name (RFC 1123 DNS subdomain), e.g. a Pool or Job name. */
export const DNS_SUBDOMAIN_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A name of another Kubernetes object in the same namespace. */
export function objectName(description: string): z.ZodString {
  return z
    .string()
    .min(1)
    .max(253)
    .regex(DNS_SUBDOMAIN_PATTERN, { error: "must be a lowercase RFC 1123 name (a-z, 0-9, '-', '.')" })
    .describe(description);
}

/** An Azure Batch identifier: letters, digits, hyphens and underscores, at most 64 characters. */
export const BATCH_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function batchId(description: string): z.ZodString {
  return z
    .string()
    .max(64) // also bounds the API server's CEL cost estimate
    .regex(BATCH_ID_PATTERN, { error: "must be 1-64 letters, digits, hyphens or underscores" })
    .describe(description);
}

/** An http(s) URL. */
export const HTTP_URL_PATTERN = /^https?:\/\/[^\s/?#]+[^\s]*$/;

export function httpUrl(description: string): z.ZodString {
  return z
    .string()
    .max(8192)
    .regex(HTTP_URL_PATTERN, { error: "must be an http:// or https:// URL" })
    .describe(description);
}

/** An RFC 3339 timestamp, as the API server writes them (`2025-01-02T03:04:05Z`). */
export function timestamp(description: string) {
  return z.iso.datetime({ offset: true }).describe(description);
}
