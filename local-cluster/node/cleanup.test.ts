import assert from "node:assert/strict";
import { test } from "node:test";
import { mountsUnder } from "./cleanup.ts";

test("mounts under a folder, deepest first, with mountinfo's octal escapes decoded", () => {
  const mountinfo = [
    "22 1 0:21 / / rw - ext4 /dev/vda rw",
    "30 22 0:40 / /s/node/kubelet/root/pods/u/volumes/x rw - tmpfs tmpfs rw",
    "31 22 0:41 / /s/node/containerd/state/t/rootfs rw - overlay overlay rw",
    "32 22 0:42 / /s/node/with\\040space rw - tmpfs tmpfs rw",
    "33 22 0:43 / /s/nodeother rw - tmpfs tmpfs rw",
    "",
  ].join("\n");
  assert.deepEqual(mountsUnder("/s/node", mountinfo), ["/s/node/kubelet/root/pods/u/volumes/x", "/s/node/containerd/state/t/rootfs", "/s/node/with space"]);
  assert.deepEqual(mountsUnder("/elsewhere", mountinfo), []);
});
