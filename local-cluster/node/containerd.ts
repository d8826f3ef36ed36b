// containerd for the real node: Debian's containerd (CRI plugin built in) and runc, with a
// root, state and socket of the cluster's own, so clusters and the machine's own containerd
// (if any) never meet. Pod network namespaces are kept under the state folder, so `down`
// finds and unmounts them.
import { join } from "node:path";

export type ContainerdPaths = { dir: string; root: string; state: string; socket: string; config: string; cniConfDir: string };

export function containerdPaths(nodeDir: string, imageStore: string): ContainerdPaths {
  const dir = join(nodeDir, "containerd");
  return {
    dir,
    root: imageStore,
    state: join(dir, "state"),
    // A socket path must stay under 108 bytes: kept short and beside the rest.
    socket: join(dir, "c.sock"),
    config: join(dir, "config.toml"),
    cniConfDir: join(dir, "cni"),
  };
}

/** The sandbox (pause) image every pod starts with; built locally, never pulled. */
export const sandboxImage = "docker.io/kubatch/pause:3.10";

const toml = (s: string) => JSON.stringify(s);

/** containerd's config.toml (version 2) for one node. */
export function containerdConfig(p: ContainerdPaths, cniBinDir: string): string {
  return `version = 2
root = ${toml(p.root)}
state = ${toml(p.state)}
# Only what the node uses: the CRI, runc, overlayfs.
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = ${toml(p.socket)}

[ttrpc]
  address = ${toml(`${p.socket}.ttrpc`)}

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ${toml(sandboxImage)}
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  max_container_log_line_size = 16384
  # The project's machines withhold CAP_SYS_RESOURCE even from root: an OOM score below
  # containerd's own (the sandbox's -998, Guaranteed pods' -997) cannot be set.
  restrict_oom_score_adj = true

[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"
  discard_unpacked_layers = false

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  SystemdCgroup = false
  # runc's own state, per node (its default is shared by every containerd on the machine).
  Root = ${toml(join(p.state, "runc"))}

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = ${toml(cniBinDir)}
  conf_dir = ${toml(p.cniConfDir)}
  max_conf_num = 1
`;
}
