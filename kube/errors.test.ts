import assert from "node:assert/strict";
import { test } from "node:test";
import { errorMessage, isNamespaceTerminating } from "./errors.ts";

test("errorMessage and isNamespaceTerminating read API errors", async (t) => {
  const terminating = { code: 403, body: JSON.stringify({ message: "unable to create new content in namespace x because it is being terminated", details: { causes: [{ reason: "NamespaceTerminating" }] } }) };
  const cases: Record<string, { err: unknown; message: string; terminating: boolean }> = {
    "namespace terminating": { err: terminating, message: "HTTP 403: unable to create new content in namespace x because it is being terminated", terminating: true },
    "conflict with an object body": { err: { code: 409, body: { message: "the object has been modified" } }, message: "HTTP 409: the object has been modified", terminating: false },
    "plain error, first line only": { err: new Error("boom\nHeaders: {...}"), message: "boom", terminating: false },
    "an ApiException's multi-line message, with its Status body": { err: Object.assign(new Error("HTTP-Code: 503\nMessage: Unknown API Status Code!\nBody: ...\nHeaders: {...}"), { code: 503, body: '{"kind":"Status","message":"the server is shutting down","code":503}' }), message: "HTTP 503: the server is shutting down", terminating: false },
    "a watch's status code alone": { err: { code: 410 }, message: "HTTP 410", terminating: false },
    "not an error": { err: "text", message: "text", terminating: false },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      assert.equal(errorMessage(tc.err), tc.message);
      assert.equal(isNamespaceTerminating(tc.err), tc.terminating);
    });
  }
});
