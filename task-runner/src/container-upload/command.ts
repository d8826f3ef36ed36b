// `task-runner upload`: the second container of a container task's Pod (when the task has
// outputFiles). It waits until the task's container has ended — its exit code read from the
// Pod's status through the API, watched, never polled — saves that container's log as the
// task's stdout.txt (both streams: a container has one log), then uploads the output files
// from the shared working directory by uploadCondition, like the agent does on a node. It
// exits non-zero when an upload fails; the message (its log tail) reaches the Task status.
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { CoreV1Api, Log, Watch, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { outputFileSchema } from "../../../api/output-file.ts";
import { loadKubeConfig } from "../../../kube/kube-config.ts";
import { uploadOutputFiles } from "../agent/output-files.ts";
import { outputCredentialEnv, outputFilesEnv, podNameEnv, taskContainerEnv } from "../../../api/node-contract.ts";

export async function uploadCommand(_argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const parsed = outputFileSchema.array().safeParse(JSON.parse(env[outputFilesEnv] ?? "[]"));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) console.error(`outputFiles.${issue.path.join(".")}: ${issue.message}`);
    return 2;
  }
  const pod = env[podNameEnv];
  const namespace = env.KUBATCH_NAMESPACE;
  const container = env[taskContainerEnv] ?? "task";
  const wd = env.AZ_BATCH_TASK_WORKING_DIR;
  const taskDir = env.AZ_BATCH_TASK_DIR;
  if (!pod || !namespace || !wd || !taskDir) {
    console.error(`${podNameEnv}, KUBATCH_NAMESPACE, AZ_BATCH_TASK_DIR and AZ_BATCH_TASK_WORKING_DIR must be set (the Pod spec sets them)`);
    return 2;
  }
  const kc = loadKubeConfig();
  const exitCode = await containerExit(kc, namespace, pod, container);
  console.log(`container ${container} exited with code ${exitCode}`);
  await mkdir(wd, { recursive: true });
  try {
    await saveLog(kc, namespace, pod, container, join(taskDir, "stdout.txt"));
  } catch (err) {
    console.log(`stdout.txt not saved: ${err instanceof Error ? err.message : String(err)}`);
  }
  const outputs = parsed.data;
  try {
    const uploaded = await uploadOutputFiles(outputs, { workingDir: wd, taskDir }, exitCode === 0, async (f) => env[outputCredentialEnv(outputs.indexOf(f))], console.log);
    for (const u of uploaded) console.log(`uploaded ${u.file} → ${u.blob} (${u.bytes} bytes)`);
    console.log(`uploaded ${uploaded.length} files`);
    return 0;
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 1;
  }
}

function exitOf(pod: V1Pod | undefined, container: string): number | undefined {
  return pod?.status?.containerStatuses?.find((s) => s.name === container)?.state?.terminated?.exitCode;
}

/** Reads the Pod, then watches it from that version until the container has terminated. */
async function containerExit(kc: KubeConfig, namespace: string, name: string, container: string): Promise<number> {
  const core = kc.makeApiClient(CoreV1Api);
  for (let attempt = 0; ; attempt++) {
    let pod: V1Pod;
    try {
      pod = await core.readNamespacedPod({ name, namespace });
    } catch (err) {
      console.log(`reading pod ${name}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
      await new Promise((r) => setTimeout(r, Math.min(1_000 * 2 ** attempt, 10_000)));
      continue;
    }
    const code = exitOf(pod, container);
    if (code !== undefined) return code;
    const seen = await new Promise<number | undefined>((resolve) => {
      let ctl: AbortController | undefined;
      let settled = false;
      const finish = (value: number | undefined) => {
        if (settled) return;
        settled = true;
        ctl?.abort();
        resolve(value);
      };
      new Watch(kc)
        .watch(
          `/api/v1/namespaces/${namespace}/pods`,
          { fieldSelector: `metadata.name=${name}`, resourceVersion: pod.metadata?.resourceVersion, timeoutSeconds: 300, allowWatchBookmarks: false },
          (_type, obj) => {
            const c = exitOf(obj as V1Pod, container);
            if (c !== undefined) finish(c);
          },
          () => finish(undefined),
        )
        .then((c) => (settled ? c.abort() : (ctl = c)), () => finish(undefined));
    });
    if (seen !== undefined) return seen;
  }
}

/** The container's whole log (stdout and stderr interleaved) into `path`. */
async function saveLog(kc: KubeConfig, namespace: string, pod: string, container: string, path: string): Promise<void> {
  const out = createWriteStream(path);
  const closed = new Promise<void>((resolve, reject) => {
    out.on("finish", resolve);
    out.on("error", reject);
  });
  try {
    await new Log(kc).log(namespace, pod, container, out, { follow: false });
  } catch (err) {
    out.destroy();
    throw err;
  }
  await closed;
}
