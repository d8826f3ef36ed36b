// `task-runner files list JOB TASK` and `task-runner files get JOB TASK PATH`: run by
// `kubatch task file` in a node pod's agent container (through the pods/exec API, so reading
// a node's files needs the same RBAC as `kubectl exec`). `list` prints the task folder's
// entries as one JSON object; `get` streams one file's bytes to stdout unchanged.
import { createReadStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { nodeLayout } from "../../../api/node-layout.ts";
import { listTaskFiles, resolveTaskFile } from "./task-files.ts";

const usage = "usage: task-runner files list JOB TASK | task-runner files get JOB TASK PATH";

/** A job or task id as one path segment: ids never hold a slash, and `.`/`..` are no ids. */
const segment = (what: string, id: string | undefined): string => {
  if (!id || id === "." || id === ".." || /[\\/]/.test(id)) throw new Error(`${what} "${id ?? ""}" is not an id`);
  return id;
};

export async function filesCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [verb, job, task, path, ...extra] = argv;
  const root = env.AZ_BATCH_NODE_ROOT_DIR;
  if (!root) throw new Error("AZ_BATCH_NODE_ROOT_DIR is not set (the node pod spec sets it)");
  if ((verb !== "list" && verb !== "get") || extra.length > 0 || (verb === "list") !== (path === undefined)) {
    console.error(usage);
    return 2;
  }
  const dir = nodeLayout(root).taskDir(segment("job", job), segment("task", task));
  if (verb === "list") {
    process.stdout.write(`${JSON.stringify(await listTaskFiles(dir))}\n`);
    return 0;
  }
  await pipeline(createReadStream(await resolveTaskFile(dir, path!)), process.stdout, { end: false });
  return 0;
}
