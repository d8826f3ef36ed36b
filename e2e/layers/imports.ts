// The import graph of the repository's TypeScript, read from the sources themselves (no
// compiler): static imports and re-exports, dynamic import("…") and require("…") with a
// literal path. The layer check and the image-closure check both walk it.
import { existsSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, normalize, relative } from "node:path";

export type ImportRef = {
  specifier: string;
  /** `import type …` / `export type …`: erased by type stripping, so not loaded at run time. */
  typeOnly: boolean;
};

/** The source with comments and template literals blanked out (strings and regular expressions kept), so imports in comments or help texts do not count. */
export function stripComments(source: string): string {
  let out = "";
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end < 0 ? source.length : end + 2;
      out += source.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else if (c === "/" && /[(,=:[!&|?{};]\s*$|^\s*$/.test(out.slice(out.lastIndexOf("\n") + 1))) {
      // A regular expression literal (it may hold quotes): copied up to its closing slash.
      let j = i + 1;
      let inClass = false;
      while (j < source.length && source[j] !== "\n" && (inClass || source[j] !== "/")) {
        if (source[j] === "[") inClass = true;
        else if (source[j] === "]") inClass = false;
        j += source[j] === "\\" ? 2 : 1;
      }
      out += source.slice(i, j + 1);
      i = j + 1;
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < source.length && source[j] !== c) j += source[j] === "\\" ? 2 : 1;
      // Specifiers are plain string literals; a template literal's text (help, scripts) is blanked.
      out += c === "`" ? source.slice(i, j + 1).replace(/[^\n`]/g, " ") : source.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const staticImport = /(?:^|[;\n}])\s*(import|export)(\s+type)?\b(?:[^;"'`]*?\bfrom)?\s*["']([^"']+)["']/g;
const dynamicImport = /\b(?:import|require(?:\.resolve)?)\s*\(\s*["']([^"'`]+)["']\s*[,)]/g;

/** Every module a source file names, in order of appearance per kind. */
export function importsOf(source: string): ImportRef[] {
  const code = stripComments(source);
  const refs: ImportRef[] = [];
  for (const m of code.matchAll(staticImport)) refs.push({ specifier: m[3]!, typeOnly: m[2] !== undefined });
  for (const m of code.matchAll(dynamicImport)) refs.push({ specifier: m[1]!, typeOnly: false });
  return refs;
}

/** A relative specifier resolved to a repository path (`operator/src/main.ts`); undefined for packages and builtins. */
export function resolveRelative(fromFile: string, specifier: string): string | undefined {
  if (!specifier.startsWith("./") && !specifier.startsWith("../")) return undefined;
  return normalize(join(dirname(fromFile), specifier));
}

/** The npm package a bare specifier loads (`@azure/storage-blob/x` → `@azure/storage-blob`); undefined for node builtins and relative paths. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("node:")) return undefined;
  const parts = specifier.split("/");
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
  return builtinModules.includes(name) ? undefined : name;
}

export type Closure = {
  /** Repository paths of every file loaded at run time, entry points included. */
  files: Set<string>;
  /** npm packages those files load. */
  packages: Set<string>;
  /** Relative imports that name no file, as `from → to`. */
  missing: string[];
};

/** The run-time import closure of `entries` (repository paths), reading files under `root`; type-only imports are not followed. */
export function runtimeClosure(root: string, entries: readonly string[]): Closure {
  const closure: Closure = { files: new Set(), packages: new Set(), missing: [] };
  const pending = [...entries];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (closure.files.has(file)) continue;
    closure.files.add(file);
    if (!file.endsWith(".ts")) continue;
    for (const ref of importsOf(readFileSync(join(root, file), "utf8"))) {
      if (ref.typeOnly) continue;
      const target = resolveRelative(file, ref.specifier);
      if (target === undefined) {
        const pkg = packageOf(ref.specifier);
        if (pkg) closure.packages.add(pkg);
      } else if (!existsSync(join(root, target))) closure.missing.push(`${file} → ${ref.specifier}`);
      else pending.push(relative(root, join(root, target)));
    }
  }
  return closure;
}
