// The node pod's shared folders on a pool with separateTaskUsers, set once by the root runner
// before it takes a request. Both are emptyDirs, which the kubelet makes writable by everyone:
// a task's user could otherwise rename startup or workitems and put its own in their place,
// or remove the runner's socket and listen there itself. So:
// - the node root: root's, the node's group (the emptyDir's fsGroup) may write — the agent
//   makes the job folders there — and nobody else (2775);
// - the shared folder (AZ_BATCH_NODE_SHARED_DIR): every task's user writes, none removes
//   another's files (1777);
// - the runner socket's folder: root's, the node's group may enter (to connect), nobody else (0750).
import { chmod, chown, lstat, mkdir } from "node:fs/promises";
import { nodeLayout } from "../../../api/node-layout.ts";

export async function lockNodeFolders(rootDir: string, socketDir: string): Promise<void> {
  const layout = nodeLayout(rootDir);
  const root = await lstat(rootDir);
  await chown(rootDir, 0, root.gid);
  await chmod(rootDir, 0o2775);
  await mkdir(layout.shared, { recursive: true });
  await chmod(layout.shared, 0o1777);
  const sockets = await lstat(socketDir);
  await chown(socketDir, 0, sockets.gid);
  await chmod(socketDir, 0o750);
}
