// `go build` of upstream programs from a wrapper module, with progress: `go build -v` names
// each package as it compiles, counted against `go list -deps`. Used for Kubernetes and helm.
import { execFileSync, spawn } from "node:child_process";
import { createInterface } from "node:readline";

export type GoBuild = {
  /** The wrapper module's folder. */
  moduleDir: string;
  packages: string[];
  ldflags: string;
  /** A file (one package) or a folder ending in `/` (several). */
  output: string;
  env?: NodeJS.ProcessEnv;
  log: (line: string) => void;
  deadlineMs?: number;
};

export async function goBuild(b: GoBuild): Promise<void> {
  const started = Date.now();
  const env = { ...process.env, GOTOOLCHAIN: "local", ...b.env };
  const total = execFileSync("go", ["list", "-deps", ...b.packages], { cwd: b.moduleDir, env, encoding: "utf8", maxBuffer: 64 << 20 })
    .split("\n")
    .filter(Boolean).length;
  const child = spawn("go", ["build", "-v", "-trimpath", "-ldflags", b.ldflags, "-o", b.output, ...b.packages], { cwd: b.moduleDir, env, stdio: ["ignore", "ignore", "pipe"] });
  const killer = setTimeout(() => child.kill("SIGKILL"), b.deadlineMs ?? 40 * 60_000);
  let compiled = 0;
  let lastReport = 0;
  const errors: string[] = [];
  createInterface({ input: child.stderr }).on("line", (line) => {
    // Package paths are progress; anything else is an error line.
    if (/^[\w.\-/]+$/.test(line)) {
      compiled++;
      const now = Date.now();
      if (now - lastReport > 10_000) {
        lastReport = now;
        b.log(`  [${Math.round((now - started) / 1000)}s] compiled ${compiled} packages (of at most ${total}): ${line}`);
      }
    } else {
      errors.push(line);
    }
  });
  const code: number = await new Promise((done) => {
    child.on("error", (err) => {
      errors.push(String(err));
      done(1);
    });
    child.on("close", (c) => done(c ?? 1));
  });
  clearTimeout(killer);
  if (code !== 0) throw new Error(`go build failed (exit ${code}):\n${errors.slice(-40).join("\n")}`);
}
