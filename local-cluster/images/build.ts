// The local cluster's images, built here because there is no registry to pull from:
// - the Node 24 base: a Debian bookworm minbase root (mmdebstrap) with the npm `node`
//   package's binary and npm, laid out as the official node image lays them out;
// - kubatch/operator, kubatch/task-runner (and its `ocr` target) from the Dockerfiles in
//   images/ with `buildah bud`, the same Dockerfiles users build with docker;
// - busybox (Debian's busybox-static) and the pause image (a static Go program) for the
//   suites and the pod sandbox.
// buildah keeps its own storage in the cache folder; Dockerfile builds reuse its layer cache
// (`--layers`: a step reruns only when its inputs changed), the others are keyed by the hash
// of their inputs. Each image is exported once per image id as an OCI archive, which the
// node's containerd imports.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync, copyFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { cacheRoot, repoRoot } from "../state.ts";
import { ensureHostPackages } from "./host-packages.ts";

export const projectVersion: string = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).version;
const nodeVersion = process.versions.node;

/** The images every local cluster's node has, by the names pods use. */
export const localImages = {
  nodeBase: `localhost/kubatch/node-base:${nodeVersion}`,
  operator: `docker.io/kubatch/operator:${projectVersion}`,
  taskRunner: `docker.io/kubatch/task-runner:${projectVersion}`,
  taskRunnerOcr: `docker.io/kubatch/task-runner-ocr:${projectVersion}`,
  busybox: "docker.io/library/busybox:1.35",
  /** A node image with no kubatch and no Node.js in it: Debian with python3 (for the suites). */
  debianPython: "localhost/kubatch/debian-python:bookworm",
  pause: "docker.io/kubatch/pause:3.10",
} as const;

export type LocalImage = keyof typeof localImages;

type Log = (line: string) => void;

function imagesDir(): string {
  return join(cacheRoot(), "images");
}

function buildahArgs(args: string[]): string[] {
  const dir = imagesDir();
  return ["--root", join(dir, "storage"), "--runroot", join(dir, "run"), "--storage-driver", "overlay", ...args];
}

function buildahSync(args: string[]): string {
  return execFileSync("buildah", buildahArgs(args), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 }).trim();
}

/** Runs buildah with its output as progress lines (prefixed); rejects with the tail on failure. */
function buildahLive(args: string[], log: Log, prefix: string): Promise<void> {
  return runLive("buildah", buildahArgs(args), log, prefix);
}

function runLive(command: string, args: string[], log: Log, prefix: string, env?: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: env ?? process.env });
    const tail: string[] = [];
    const onLine = (line: string) => {
      tail.push(line);
      if (tail.length > 40) tail.shift();
      // Steps and errors are progress; layer copy chatter is not.
      if (/^(STEP|COMMIT|Error|error|E:|W:|I: )/.test(line) || /npm (ERR|error)/.test(line)) log(`  ${prefix}: ${line.slice(0, 200)}`);
    };
    createInterface({ input: child.stdout }).on("line", onLine);
    createInterface({ input: child.stderr }).on("line", onLine);
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.slice(0, 8).join(" ")} … failed (exit ${code}):\n${tail.join("\n")}`))));
  });
}

function imageId(name: string): string | undefined {
  try {
    return buildahSync(["inspect", "--type", "image", "--format", "{{.FromImageID}}", name]) || undefined;
  } catch {
    return undefined;
  }
}

function hashOf(...parts: (string | Buffer)[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex").slice(0, 16);
}

/** Keys of the images built from scratch here: name → input hash of the build that made it. */
function keysFile(): string {
  return join(imagesDir(), "keys.json");
}

function readKeys(): Record<string, string> {
  return existsSync(keysFile()) ? (JSON.parse(readFileSync(keysFile(), "utf8")) as Record<string, string>) : {};
}

function writeKey(name: string, key: string): void {
  writeFileSync(keysFile(), JSON.stringify({ ...readKeys(), [name]: key }, null, 2) + "\n");
}

function upToDate(name: string, key: string): boolean {
  return readKeys()[name] === key && imageId(name) !== undefined;
}

/** From-scratch image: a staging folder copied to `/`, then the given config. */
async function commitScratch(name: string, staging: string[], config: string[], log: Log): Promise<void> {
  const ctr = buildahSync(["from", "--name", `kubatch-build-${process.pid}`, "scratch"]);
  try {
    for (const src of staging) buildahSync(src.endsWith(".tar") ? ["add", ctr, src, "/"] : ["copy", ctr, `${src}/`, "/"]);
    if (config.length > 0) buildahSync(["config", ...config, ctr]);
    await buildahLive(["commit", "--rm", ctr, name], log, name);
  } catch (err) {
    try {
      buildahSync(["rm", ctr]);
    } catch {
      // Already committed and removed.
    }
    throw err;
  }
}

// --- The base: Debian bookworm minbase + Node 24 + npm.

const debianSuite = "bookworm";
const debianMirror = "http://deb.debian.org/debian";
const slimExcludes = ["/usr/share/man/*", "/usr/share/doc/*", "/usr/share/locale/*", "/usr/share/info/*"];

/** A Debian minbase root filesystem as a tar, with extra packages; once per machine. */
async function debianRootfs(include: string[], log: Log): Promise<string> {
  const rootfs = join(imagesDir(), `rootfs-${debianSuite}-${hashOf(slimExcludes.join(), include.join())}.tar`);
  if (!existsSync(rootfs)) {
    log(`Building a Debian ${debianSuite} minbase root (+ ${include.join(", ")}) with mmdebstrap (once per machine, about a minute)`);
    await runLive("mmdebstrap", ["--variant=minbase", "--format=tar", ...slimExcludes.map((p) => `--dpkgopt=path-exclude=${p}`), `--include=${include.join(",")}`, debianSuite, `${rootfs}.tmp`, debianMirror], log, "mmdebstrap");
    renameSync(`${rootfs}.tmp`, rootfs);
  }
  return rootfs;
}

async function ensureDebianPython(log: Log): Promise<void> {
  const include = ["python3-minimal"];
  const key = hashOf(debianSuite, slimExcludes.join(), include.join(), "python-v1");
  if (upToDate(localImages.debianPython, key)) return;
  const rootfs = await debianRootfs(include, log);
  log(`Building ${localImages.debianPython} (Debian ${debianSuite} with python3, no Node.js)`);
  await commitScratch(localImages.debianPython, [rootfs], ["--env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "--cmd", "python3", "--label", `dev.kubatch.inputs=${key}`], log);
  writeKey(localImages.debianPython, key);
}

async function ensureNodeBase(log: Log): Promise<void> {
  const nodeBin = realpathSync(process.execPath);
  const npmDir = join(repoRoot, "node_modules", "npm");
  const npmVersion = (JSON.parse(readFileSync(join(npmDir, "package.json"), "utf8")) as { version: string }).version;
  const key = hashOf(debianSuite, slimExcludes.join(), nodeVersion, npmVersion, "base-v1");
  if (upToDate(localImages.nodeBase, key)) return;
  const work = join(imagesDir(), `work-base-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const rootfs = await debianRootfs(["ca-certificates"], log);
    // /usr/local as in the official image: bin/node, lib/node_modules/npm, bin/npm → npm-cli.js.
    const local = join(work, "usr", "local");
    mkdirSync(join(local, "bin"), { recursive: true });
    mkdirSync(join(local, "lib", "node_modules"), { recursive: true });
    copyFileSync(nodeBin, join(local, "bin", "node"));
    chmodSync(join(local, "bin", "node"), 0o755);
    execFileSync("cp", ["-a", npmDir, join(local, "lib", "node_modules", "npm")]);
    symlinkSync("../lib/node_modules/npm/bin/npm-cli.js", join(local, "bin", "npm"));
    symlinkSync("../lib/node_modules/npm/bin/npx-cli.js", join(local, "bin", "npx"));
    log(`Building ${localImages.nodeBase} (Debian ${debianSuite} + Node ${nodeVersion} + npm ${npmVersion})`);
    await commitScratch(localImages.nodeBase, [rootfs, work], ["--env", `NODE_VERSION=${nodeVersion}`, "--env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "--cmd", "node", "--label", `dev.kubatch.inputs=${key}`], log);
    writeKey(localImages.nodeBase, key);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// --- busybox and pause.

async function ensureBusybox(log: Log): Promise<void> {
  const busybox = "/bin/busybox";
  const key = hashOf(readFileSync(busybox), "busybox-v1");
  if (upToDate(localImages.busybox, key)) return;
  const work = join(imagesDir(), `work-busybox-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  try {
    for (const d of ["bin", "tmp", "etc", "root"]) mkdirSync(join(work, d), { recursive: true });
    copyFileSync(busybox, join(work, "bin", "busybox"));
    chmodSync(join(work, "bin", "busybox"), 0o755);
    chmodSync(join(work, "tmp"), 0o1777);
    for (const applet of execFileSync(busybox, ["--list"], { encoding: "utf8" }).split("\n").filter((a) => a && a !== "busybox")) {
      symlinkSync("busybox", join(work, "bin", applet));
    }
    writeFileSync(join(work, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
    writeFileSync(join(work, "etc", "group"), "root:x:0:\nnobody:x:65534:\n");
    log(`Building ${localImages.busybox} from Debian's busybox-static`);
    await commitScratch(localImages.busybox, [work], ["--env", "PATH=/bin", "--cmd", "sh", "--label", `dev.kubatch.inputs=${key}`], log);
    writeKey(localImages.busybox, key);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const pauseSource = join(repoRoot, "local-cluster", "images", "pause", "pause.go");

async function ensurePause(log: Log): Promise<void> {
  const key = hashOf(readFileSync(pauseSource), execFileSync("go", ["version"], { encoding: "utf8" }), "pause-v1");
  if (upToDate(localImages.pause, key)) return;
  const work = join(imagesDir(), `work-pause-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    log(`Building ${localImages.pause} (a static Go program: reaps children, waits for a signal)`);
    execFileSync("go", ["build", "-trimpath", "-ldflags=-s -w", "-o", join(work, "pause"), pauseSource], { env: { ...process.env, CGO_ENABLED: "0", GOTOOLCHAIN: "local", GOFLAGS: "-mod=mod", GO111MODULE: "off" }, stdio: ["ignore", "ignore", "inherit"] });
    await commitScratch(localImages.pause, [work], ["--entrypoint", '["/pause"]', "--user", "65535:65535", "--label", `dev.kubatch.inputs=${key}`], log);
    writeKey(localImages.pause, key);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// --- The project's Dockerfiles.

/**
 * The machine's npm settings for the builds' `npm install` steps, mounted only while a RUN
 * step runs (nothing of it lands in an image): the registry, and the CA bundle when this
 * machine's traffic goes through a proxy with its own certificate authority.
 */
function npmBuildMounts(): string[] {
  // Asked of npm once per process: every Dockerfile build mounts the same.
  return (npmMounts ??= readNpmBuildMounts());
}

let npmMounts: string[] | undefined;

function readNpmBuildMounts(): string[] {
  const npm = (key: string) => {
    try {
      return execFileSync("npm", ["config", "get", key], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return "";
    }
  };
  const lines = [`registry=${npm("registry") || "https://registry.npmjs.org/"}`];
  const mounts: string[] = [];
  const cafile = [npm("cafile"), process.env.NODE_EXTRA_CA_CERTS ?? ""].find((f) => f && f !== "null" && f !== "undefined" && existsSync(f));
  if (cafile) {
    mounts.push("-v", `${cafile}:/etc/ssl/certs/build-ca.crt:ro`);
    lines.push("cafile=/etc/ssl/certs/build-ca.crt");
  }
  const npmrc = join(imagesDir(), "build-npmrc");
  writeFileSync(npmrc, lines.join("\n") + "\n");
  mounts.push("-v", `${npmrc}:/usr/local/etc/npmrc:ro`);
  return mounts;
}

async function buildDockerfile(name: string, dockerfile: string, log: Log, target?: string): Promise<void> {
  const file = join(repoRoot, "images", dockerfile);
  const started = Date.now();
  log(`Building ${name} from images/${dockerfile}${target ? ` (target ${target})` : ""} with buildah (cached layers are reused)`);
  await buildahLive(
    [
      "bud",
      "--layers",
      // A failed step leaves no working container behind.
      "--force-rm",
      "--pull=never",
      // The deps stage runs `npm install` against the public registry.
      "--network=host",
      "--isolation=chroot",
      ...npmBuildMounts(),
      "--ignorefile",
      `${file}.dockerignore`,
      "--build-arg",
      `NODE_IMAGE=${localImages.nodeBase}`,
      "--build-arg",
      `VERSION=${projectVersion}`,
      ...(target ? ["--target", target] : []),
      "-f",
      file,
      "-t",
      name,
      repoRoot,
    ],
    log,
    name.replace(/^docker\.io\//, ""),
  );
  log(`  ${name} ready in ${((Date.now() - started) / 1000).toFixed(0)}s`);
}

/** Builds what is missing or stale; returns each image's OCI archive (one per image id). */
export async function ensureImages(log: Log = console.log, only?: LocalImage[]): Promise<Record<LocalImage, string>> {
  ensureHostPackages(log);
  mkdirSync(join(imagesDir(), "archives"), { recursive: true });
  const want = new Set<LocalImage>(only ?? (Object.keys(localImages) as LocalImage[]));
  await ensureNodeBase(log);
  if (want.has("busybox")) await ensureBusybox(log);
  if (want.has("pause")) await ensurePause(log);
  if (want.has("debianPython")) await ensureDebianPython(log);
  if (want.has("operator")) await buildDockerfile(localImages.operator, "operator.Dockerfile", log);
  if (want.has("taskRunner")) await buildDockerfile(localImages.taskRunner, "task-runner.Dockerfile", log, "runtime");
  if (want.has("taskRunnerOcr")) await buildDockerfile(localImages.taskRunnerOcr, "task-runner.Dockerfile", log, "ocr");
  const archives = {} as Record<LocalImage, string>;
  for (const image of want) archives[image] = exportArchive(localImages[image]);
  if (!only) pruneArchives(new Set(Object.values(archives)));
  return archives;
}

function exportArchive(name: string): string {
  const id = imageId(name);
  if (!id) throw new Error(`image ${name} was not built`);
  const file = join(imagesDir(), "archives", `${name.replace(/[^a-zA-Z0-9.-]+/g, "_")}-${id.slice(0, 16)}.tar`);
  if (!existsSync(file)) {
    buildahSync(["push", "--quiet", name, `oci-archive:${file}.tmp:${name}`]);
    renameSync(`${file}.tmp`, file);
  }
  return file;
}

function pruneArchives(keep: Set<string>): void {
  const dir = join(imagesDir(), "archives");
  for (const f of readdirSync(dir)) {
    const path = join(dir, f);
    if (!keep.has(path) && !path.endsWith(".tmp")) rmSync(path, { force: true });
  }
}
