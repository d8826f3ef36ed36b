// Each image holds its entry points' run-time import closure (imports.ts) and nothing that
// could not load: the Dockerfile's COPY lines, filtered by its .dockerignore, must place every
// file of the closure at its repository path under WORKDIR; every copied .ts file must find
// the files and npm packages it imports in the image; the npm packages must be among those
// the deps stage keeps. Images are not built here (no container engine); this reads the files.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { imageFiles, inContext, keptDependencies, parseDockerfile, stageChain } from "./dockerfile.ts";
import { importsOf, packageOf, resolveRelative, runtimeClosure } from "./imports.ts";
import { filesUnder } from "./packages.ts";
import { taskRunnerEntrypoint } from "../../api/node-contract.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

const images: Record<string, { dockerfile: string; target?: string; entries: string[] }> = {
  operator: { dockerfile: "images/operator.Dockerfile", entries: ["operator/src/main.ts"] },
  "task-runner": { dockerfile: "images/task-runner.Dockerfile", entries: ["task-runner/src/main.ts"] },
  // The OCR sample's node image runs its task program beside the agent.
  "task-runner-ocr": { dockerfile: "images/task-runner.Dockerfile", target: "ocr", entries: ["task-runner/src/main.ts", "examples/ocr/ocr-task.ts"] },
};

describe("dockerignore rules", () => {
  const ignore = "*\n!package.json\n!api/**\n!operator/src/**\n**/*.test.ts\napi/crd-gen\n";
  const cases: Record<string, { path: string; want: boolean }> = {
    "excluded by *": { path: "e2e/run-tests.ts", want: false },
    "included again by !": { path: "api/task.ts", want: true },
    "a kept file at the root": { path: "package.json", want: true },
    "tests excluded anywhere": { path: "operator/src/pool/scale-in.test.ts", want: false },
    "a folder excluded below a kept one": { path: "api/crd-gen/main.ts", want: false },
  };
  for (const [name, tc] of Object.entries(cases)) it(name, () => assert.equal(inContext(ignore, tc.path), tc.want));
});

describe("image contents", () => {
  const files = filesUnder(root, ".");
  const allDependencies = Object.keys((JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies);
  for (const [name, image] of Object.entries(images)) {
    it(`${name}: holds its entry points' import closure, and every copied file can load`, () => {
      const stages = parseDockerfile(readFileSync(join(root, image.dockerfile), "utf8"));
      const chain = stageChain(stages, image.target);
      const ignore = readFileSync(join(root, `${image.dockerfile}.dockerignore`), "utf8");
      const placed = imageFiles(chain, files.filter((f) => inContext(ignore, f)));
      const workdir = chain.at(-1)!.workdir;
      // Images mirror the repository under WORKDIR, so relative imports resolve as they do here.
      const inImage = new Set([...placed].filter(([at, file]) => at === posix.join(workdir, file)).map(([, file]) => file));
      const kept = keptDependencies(stages, chain, allDependencies);

      const closure = runtimeClosure(root, image.entries);
      assert.deepEqual(closure.missing, [], "imports that name no file");
      assert.deepEqual([...closure.files].filter((f) => !inImage.has(f)).sort(), [], `closure files ${image.dockerfile} does not copy`);
      assert.deepEqual([...closure.packages].filter((p) => !kept.includes(p)).sort(), [], "packages the deps stage does not keep");

      const unloadable: string[] = [];
      for (const file of [...inImage].filter((f) => f.endsWith(".ts"))) {
        for (const ref of importsOf(readFileSync(join(root, file), "utf8"))) {
          if (ref.typeOnly) continue;
          const target = resolveRelative(file, ref.specifier);
          const pkg = packageOf(ref.specifier);
          if ((target !== undefined && !inImage.has(target)) || (pkg !== undefined && !kept.includes(pkg))) unloadable.push(`${file} → ${ref.specifier}`);
        }
      }
      assert.deepEqual(unloadable, [], "copied files whose imports the image lacks");
      assert.deepEqual([...inImage].filter((f) => f.endsWith(".test.ts")), [], "tests in the image");

      const entrypoint = chain.findLast((s) => s.entrypoint)?.entrypoint?.find((a) => a.endsWith(".ts"));
      assert.equal(entrypoint && posix.relative(workdir, posix.resolve(workdir, entrypoint)), image.entries[0], "ENTRYPOINT runs the entry point");
      if (image.dockerfile === "images/task-runner.Dockerfile") {
        assert.deepEqual(chain.findLast((s) => s.entrypoint)?.entrypoint, taskRunnerEntrypoint, "the ENTRYPOINT `kubatch task file` runs in the agent container");
      }
    });
  }
});
