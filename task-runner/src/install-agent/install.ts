// `task-runner install-agent --dest DIR`: copies this agent into DIR so that a node image
// without kubatch (or without Node) can run it (api/node-contract.ts, injectedAgentCommand):
// bin/node, lib/ with every shared object this process has mapped (the dynamic loader among
// them, linked as lib/ld.so), and app/ with the task-runner's code and node_modules.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The folders of the image's app root the agent's import closure lives in. */
const appParts = ["package.json", "node_modules", "task-runner/src", "api", "kube"];

/** Shared objects mapped into this process (from /proc/self/maps), the loader first. */
export function mappedLibraries(maps: string): { loader: string; libs: string[] } {
  const files = new Set<string>();
  for (const line of maps.split("\n")) {
    const path = line.trim().split(/\s+/)[5];
    if (path?.startsWith("/") && /\.so(\.\d+)*$/.test(path)) files.add(path);
  }
  const libs = [...files];
  const loader = libs.find((f) => /^ld-linux.*\.so/.test(basename(f)) || /^ld-musl/.test(basename(f)));
  if (!loader) throw new Error("no dynamic loader among this process's mapped files: is Node linked statically?");
  return { loader, libs };
}

/** `libstdc++.so.6.0.30` → `libstdc++.so.6`; names that are sonames already stay. */
export function sonameOf(file: string): string {
  return file.replace(/(\.so\.\d+)(\.\d+)+$/, "$1");
}

export function installAgent(dest: string, appRoot = resolve(fileURLToPath(new URL("../../..", import.meta.url)))): { files: number } {
  const tmp = `${dest}/.installing`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, "bin"), { recursive: true });
  mkdirSync(join(tmp, "lib"), { recursive: true });
  cpSync(process.execPath, join(tmp, "bin", "node"));
  const { loader, libs } = mappedLibraries(readFileSync("/proc/self/maps", "utf8"));
  for (const lib of libs) {
    cpSync(lib, join(tmp, "lib", basename(lib)), { dereference: true });
    // The loader asks for sonames (libstdc++.so.6), the maps name files (libstdc++.so.6.0.30).
    const soname = sonameOf(basename(lib));
    if (soname !== basename(lib) && !existsSync(join(tmp, "lib", soname))) symlinkSync(basename(lib), join(tmp, "lib", soname));
  }
  symlinkSync(basename(loader), join(tmp, "lib", "ld.so"));
  for (const part of appParts) {
    const from = join(appRoot, part);
    if (existsSync(from)) cpSync(from, join(tmp, "app", part), { recursive: true, dereference: true });
  }
  writeFileSync(join(tmp, "VERSION"), `${process.version}\n`);
  // Moved into place last: a restarted init container never leaves half an agent behind.
  for (const entry of ["bin", "lib", "app", "VERSION"]) {
    rmSync(join(dest, entry), { recursive: true, force: true });
    cpSync(join(tmp, entry), join(dest, entry), { recursive: true, verbatimSymlinks: true });
  }
  rmSync(tmp, { recursive: true, force: true });
  return { files: libs.length + 1 };
}
