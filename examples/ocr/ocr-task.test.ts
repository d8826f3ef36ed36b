// The task program as a process, run from a working directory elsewhere: its stdout, exit
// codes, stderr messages and the <name>.txt it writes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { EXIT } from "./ocr-task.ts";
import { loadSampleImages } from "./upload.ts";

const program = fileURLToPath(new URL("./ocr-task.ts", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "ocr-task-"));
after(() => rmSync(work, { recursive: true, force: true }));

const images = loadSampleImages();
const page = images.find((i) => i.text !== null)!;
const corrupt = images.find((i) => i.text === null)!;
copyFileSync(page.path, join(work, "page.png"));
writeFileSync(join(work, "notes.png"), "just some text, not an image\n");

function run(args: string[]) {
  const env = { ...process.env };
  delete env.AZURE_STORAGE_CONNECTION_STRING;
  delete env.OCR_RESULTS_URL;
  const r = spawnSync(process.execPath, [program, ...args], { cwd: work, env, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("ocr-task exit codes and messages", { timeout: 180_000 }, async (t) => {
  const cases: Record<string, { args: string[]; code: number; stdout?: string; stderr: RegExp; writes?: string }> = {
    "relative path: text on stdout, file written, timing on stderr": {
      args: ["page.png", "page"],
      code: EXIT.ok,
      stdout: `${page.text}\n`,
      stderr: /page\.png → page\.txt \(not uploaded: .*\); \d+ characters.*recognise [\d.]+ s, total [\d.]+ s/,
      writes: "page.txt",
    },
    "absolute path, name given with .txt": { args: [page.path, "abs.txt"], code: EXIT.ok, stdout: `${page.text}\n`, stderr: /→ abs\.txt/, writes: "abs.txt" },
    "corrupt PNG": { args: [corrupt.path, "corrupt"], code: EXIT.corruptImage, stderr: /ocr-task: corrupt image corrupt\.png: tesseract cannot decode this PNG file/ },
    "not an image at all": { args: ["notes.png", "notes"], code: EXIT.corruptImage, stderr: /ocr-task: corrupt image notes\.png: not a PNG, JPEG/ },
    "missing file": { args: ["missing.png", "missing"], code: EXIT.inputUnavailable, stderr: /ocr-task: cannot read the image missing\.png: ENOENT/ },
    "unreachable URL": { args: ["http://127.0.0.1:9/images/x.png", "x"], code: EXIT.inputUnavailable, stderr: /cannot read the image http:\/\/127\.0\.0\.1:9\/images\/x\.png/ },
    "no arguments": { args: [], code: EXIT.usage, stderr: /usage: ocr-task <imageUrl or path> <outputName>/ },
    "output name with a slash": { args: ["page.png", "../escape"], code: EXIT.usage, stderr: /outputName must be a file name/ },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const r = run(tc.args);
      assert.equal(r.code, tc.code, r.stderr);
      if (tc.stdout !== undefined) assert.equal(r.stdout, tc.stdout);
      // tesseract's worker thread may print its own line after ours: any line may say it.
      assert.match(r.stderr, tc.stderr, "stderr says what happened");
      if (tc.writes) assert.equal(readFileSync(join(work, tc.writes), "utf8"), `${page.text}\n`);
      if (tc.code !== EXIT.ok) assert.ok(!existsSync(join(work, `${tc.args[1]}.txt`)), "no output file on failure");
    });
  }
});
