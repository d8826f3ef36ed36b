import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { containerClient, parseCredential } from "./blob-access.ts";

const account = "AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

describe("parseCredential: a Secret's value as a credential", () => {
  const cases: Record<string, { value: string | undefined; kind?: string; problem?: RegExp }> = {
    "none": { value: undefined, kind: "none" },
    "blank": { value: "  \n", kind: "none" },
    "a connection string": { value: `DefaultEndpointsProtocol=http;${account};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;`, kind: "sharedKey" },
    "a SAS token with its ?": { value: "?sv=2024-01-01&sp=rl&sig=abc", kind: "sas" },
    "a connection string without a key": { value: "AccountName=a;BlobEndpoint=http://x", problem: /needs AccountName and AccountKey/ },
    "something else": { value: "hunter2", problem: /neither a connection string .* nor a SAS token/ },
  };
  for (const [name, tc] of Object.entries(cases)) {
    test(name, () => {
      if (tc.problem) return assert.throws(() => parseCredential(tc.value), tc.problem);
      assert.equal(parseCredential(tc.value).kind, tc.kind);
    });
  }
});

test("containerClient: a SAS token joins the URL's query; a SAS already in the URL is kept", () => {
  assert.equal(containerClient("http://h/acc/c", parseCredential("sv=1&sig=x")).url, "http://h/acc/c?sv=1&sig=x");
  assert.equal(containerClient("http://h/acc/c?sv=1&sig=y", { kind: "none" }).url, "http://h/acc/c?sv=1&sig=y");
  assert.equal(containerClient("http://h/acc/c?a=1", parseCredential("sv=1&sig=x")).url, "http://h/acc/c?a=1&sv=1&sig=x");
});
