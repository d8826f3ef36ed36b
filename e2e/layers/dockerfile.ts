// What an image built from one of images/*.Dockerfile holds, read from the Dockerfile and its
// `.dockerignore` (BuildKit's `<Dockerfile>.dockerignore`): the repository files its stages
// copy from the build context, where they land, and the npm dependencies its deps stage keeps.
// Only the instructions the project's Dockerfiles use are understood (FROM … AS, WORKDIR,
// COPY [--from=stage], ENTRYPOINT, and the deps stages' `keep = [...]` / `delete p.dependencies[...]`).
import { posix } from "node:path";

export type Copy = { from?: string; sources: string[]; dest: string; workdir: string };
export type Stage = { name?: string; base: string; copies: Copy[]; runs: string[]; entrypoint?: string[]; workdir: string };

/** The Dockerfile's instructions, continuation lines joined and comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  const out: { op: string; args: string }[] = [];
  let current = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (current === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.startsWith("#")) continue;
    current += (current ? " " : "") + line.replace(/\\$/, "").trim();
    if (line.endsWith("\\")) continue;
    const [op, ...rest] = current.split(/\s+/);
    out.push({ op: op!.toUpperCase(), args: rest.join(" ") });
    current = "";
  }
  return out;
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const { op, args } of instructions(text)) {
    if (op === "FROM") {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      // A stage built on an earlier one starts in its WORKDIR.
      const workdir = stages.find((s) => s.name === m![1])?.workdir ?? "/";
      stages.push({ base: m![1]!, name: m![2], copies: [], runs: [], workdir });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) continue;
    if (op === "WORKDIR") stage.workdir = posix.resolve(stage.workdir, args);
    else if (op === "RUN") stage.runs.push(args);
    else if (op === "ENTRYPOINT") stage.entrypoint = JSON.parse(args) as string[];
    else if (op === "COPY") {
      const words = args.split(/\s+/);
      const from = words.find((w) => w.startsWith("--from="))?.slice("--from=".length);
      const paths = words.filter((w) => !w.startsWith("--"));
      stage.copies.push({ from, sources: paths.slice(0, -1), dest: paths.at(-1)!, workdir: stage.workdir });
    }
  }
  return stages;
}

/** The stage a build of `target` ends in (the last stage without a target), then its bases within the file. */
export function stageChain(stages: Stage[], target?: string): Stage[] {
  const chain: Stage[] = [];
  let stage = target === undefined ? stages.at(-1) : stages.find((s) => s.name === target);
  if (!stage) throw new Error(`no stage ${target}`);
  while (stage) {
    chain.unshift(stage);
    const base: string = stage.base;
    stage = stages.find((s) => s.name === base);
  }
  return chain;
}

/** A `.dockerignore` pattern as a regular expression over repository paths (Go filepath.Match plus `**`). */
function patternRegex(pattern: string): RegExp {
  const p = posix.normalize(pattern.replace(/^\//, ""));
  let re = "";
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === "*" && p[i + 1] === "*") {
      re += p[i + 2] === "/" ? "(?:.*/)?" : ".*";
      i += p[i + 2] === "/" ? 2 : 1;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** Whether the build context holds `path` under these `.dockerignore` rules: the last pattern matching it or a folder above it decides. */
export function inContext(ignore: string, path: string): boolean {
  const rules = ignore
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => ({ exclude: !l.startsWith("!"), re: patternRegex(l.replace(/^!/, "")) }));
  const prefixes = path.split("/").map((_, i, parts) => parts.slice(0, i + 1).join("/"));
  let included = true;
  for (const rule of rules) if (prefixes.some((p) => rule.re.test(p))) included = !rule.exclude;
  return included;
}

/** Where each context file lands in the image (absolute path), for the COPY instructions of a stage chain. */
export function imageFiles(chain: Stage[], contextFiles: readonly string[]): Map<string, string> {
  const placed = new Map<string, string>();
  for (const stage of chain) {
    for (const copy of stage.copies) {
      if (copy.from !== undefined) continue;
      const dest = posix.resolve(copy.workdir, copy.dest);
      for (const source of copy.sources.map((s) => posix.normalize(s).replace(/\/$/, ""))) {
        for (const file of contextFiles) {
          if (file === source) placed.set(posix.resolve(copy.workdir, copy.dest.endsWith("/") ? posix.join(dest, posix.basename(file)) : dest), file);
          else if (file.startsWith(`${source}/`)) placed.set(posix.join(dest, file.slice(source.length + 1)), file);
        }
      }
    }
  }
  return placed;
}

/** The production dependencies the image's node_modules holds: those of the last deps stage it copies node_modules from. */
export function keptDependencies(stages: Stage[], chain: Stage[], allDependencies: readonly string[]): string[] {
  const copy = chain.flatMap((s) => s.copies).filter((c) => c.from !== undefined && c.sources.some((s) => s.endsWith("node_modules"))).at(-1);
  const deps = copy && stages.find((s) => s.name === copy.from);
  if (!deps) return [];
  const script = deps.runs.join("\n");
  const keep = /const keep = (\[[^\]]*\])/.exec(script);
  if (keep) return JSON.parse(keep[1]!) as string[];
  const deleted = [...script.matchAll(/delete p\.dependencies\["([^"]+)"\]/g)].map((m) => m[1]!);
  return allDependencies.filter((d) => !deleted.includes(d));
}
