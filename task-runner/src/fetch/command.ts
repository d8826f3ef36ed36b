// `task-runner fetch --dest DIR`: the start task's first init container. The resource files
// come as JSON in KUBATCH_RESOURCE_FILES, their credentials in per-file variables.
import { parseArgs } from "node:util";
import { resourceFileSchema } from "../../../api/resource-file.ts";
import { autoStorageEnv, credentialEnv, resourceFilesEnv } from "../../../api/node-contract.ts";
import { fetchResourceFiles } from "./resource-files.ts";

export async function fetchCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { dest: { type: "string" } } });
  if (!values.dest) {
    console.error("usage: task-runner fetch --dest DIR   (resource files as JSON in $" + resourceFilesEnv + ")");
    return 2;
  }
  const raw = env[resourceFilesEnv];
  if (!raw) {
    console.log("no resource files");
    return 0;
  }
  const parsed = resourceFileSchema.array().safeParse(JSON.parse(raw));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) console.error(`resourceFiles.${issue.path.join(".")}: ${issue.message}`);
    return 2;
  }
  const started = Date.now();
  const fetched = await fetchResourceFiles(parsed.data, values.dest, {
    credentialFor: (_file, index) => env[credentialEnv(index)],
    autoStorageConnectionString: env[autoStorageEnv],
    log: (line) => console.log(line),
  });
  const bytes = fetched.reduce((n, f) => n + f.bytes, 0);
  console.log(`fetched ${fetched.length} files (${bytes} bytes) into ${values.dest} in ${Date.now() - started} ms`);
  return 0;
}
