// Resource files from a loopback HTTP server and from real blob storage (Azurite).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { BlobServiceClient, ContainerSASPermissions, StorageSharedKeyCredential, generateBlobSASQueryParameters } from "@azure/storage-blob";
import { resourceFileSchema, type ResourceFile } from "../../../api/resource-file.ts";
import { fetchResourceFiles, inside } from "./resource-files.ts";

const azurite = process.env.AZURITE_CONNECTION_STRING;
const noAzurite = azurite ? undefined : "AZURITE_CONNECTION_STRING is not set: run through `make test`";

let server: Server;
let base = "";
before(async () => {
  server = createServer((req, res) => {
    if (req.url === "/tool.sh") return res.end("#!/bin/sh\necho tool\n");
    res.statusCode = 404;
    res.end("not found");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  if (address && typeof address === "object") base = `http://127.0.0.1:${address.port}`;
});
after(() => server.close());

function files(...raw: object[]): ResourceFile[] {
  return raw.map((f) => resourceFileSchema.parse(f));
}

test("httpUrl downloads one file with its mode; a 404 names the resource file", async (t) => {
  const dest = mkdtempSync(join(tmpdir(), "kubatch-fetch-"));
  t.after(() => rmSync(dest, { recursive: true, force: true }));
  const got = await fetchResourceFiles(files({ httpUrl: `${base}/tool.sh`, filePath: "bin/tool.sh", fileMode: "0755" }), dest, { credentialFor: () => undefined });
  assert.equal(got.length, 1);
  assert.equal(readFileSync(join(dest, "bin/tool.sh"), "utf8"), "#!/bin/sh\necho tool\n");
  assert.equal(statSync(join(dest, "bin/tool.sh")).mode & 0o777, 0o755);
  await assert.rejects(
    fetchResourceFiles(files({ httpUrl: `${base}/tool.sh`, filePath: "a" }, { httpUrl: `${base}/missing`, filePath: "b" }), dest, { credentialFor: () => undefined }),
    /resourceFiles\[1\] \(http:\/\/127\.0\.0\.1:\d+\/missing\): HTTP 404/,
  );
});

test("inside refuses paths that leave the directory", () => {
  assert.equal(inside("/x/y", "a/b"), "/x/y/a/b");
  assert.throws(() => inside("/x/y", "../z"), /leaves/);
  assert.throws(() => inside("/x/y", "/etc/passwd"), /leaves/);
});

test("blob containers: SAS, connection string and auto-storage sources, with blobPrefix", { skip: noAzurite }, async (t) => {
  const service = BlobServiceClient.fromConnectionString(azurite!);
  const name = `fetch-${Date.now()}`;
  const container = service.getContainerClient(name);
  await container.create();
  t.after(() => container.deleteIfExists());
  for (const [blob, text] of [["tesseract/run.sh", "run"], ["tesseract/lib/data.txt", "data"], ["other/skip.txt", "skip"]] as const) {
    await container.getBlockBlobClient(blob).upload(text, text.length);
  }
  const cred = service.credential as StorageSharedKeyCredential;
  const sas = generateBlobSASQueryParameters(
    { containerName: name, permissions: ContainerSASPermissions.parse("rl"), expiresOn: new Date(Date.now() + 3_600_000) },
    cred,
  ).toString();

  const cases: Record<string, { file: object; secret?: string; auto?: string }> = {
    "storageContainerUrl with a SAS token": { file: { storageContainerUrl: container.url, blobPrefix: "tesseract/" }, secret: sas },
    "storageContainerUrl with a connection string": { file: { storageContainerUrl: container.url, blobPrefix: "tesseract/" }, secret: azurite },
    "autoStorageContainerName": { file: { autoStorageContainerName: name, blobPrefix: "tesseract/" }, auto: azurite },
  };
  for (const [caseName, tc] of Object.entries(cases)) {
    await t.test(caseName, async () => {
      const dest = mkdtempSync(join(tmpdir(), "kubatch-fetch-"));
      try {
        const got = await fetchResourceFiles(files({ ...tc.file, filePath: "shared" }), dest, {
          credentialFor: () => tc.secret,
          autoStorageConnectionString: tc.auto,
        });
        assert.deepEqual(got.map((f) => f.path.slice(dest.length + 1)).sort(), ["shared/tesseract/lib/data.txt", "shared/tesseract/run.sh"]);
        assert.equal(readFileSync(join(dest, "shared/tesseract/run.sh"), "utf8"), "run");
      } finally {
        rmSync(dest, { recursive: true, force: true });
      }
    });
  }

  await t.test("a private container without credentials is refused, naming the file", async () => {
    const dest = mkdtempSync(join(tmpdir(), "kubatch-fetch-"));
    try {
      await assert.rejects(fetchResourceFiles(files({ storageContainerUrl: container.url }), dest, { credentialFor: () => undefined }), /resourceFiles\[0\]/);
    } finally {
      rmSync(dest, { recursive: true, force: true });
    }
  });
});
