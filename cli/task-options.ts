// The task options of `kubatch task add` (--command, --max-retries, --env, --resource-file, …),
// shared by its two forms: one Task per item, or one TaskCollection (--collection).
import type { ResourceFile } from "../api/resource-file.ts";
import type { TaskSpecInput } from "../api/task.ts";
import { UsageError } from "./usage.ts";

export interface TaskOptions {
  job: string;
  command: string;
  maxRetries?: number;
  maxWallClock?: string;
  env: { name: string; value: string }[];
  resourceFiles: { url: string; path?: string }[];
}

/** constraints from --max-retries and --max-wall-clock, when either is given. */
export function constraintsOf(o: TaskOptions): TaskSpecInput["constraints"] {
  if (o.maxRetries === undefined && o.maxWallClock === undefined) return undefined;
  return { maxTaskRetryCount: o.maxRetries, maxWallClockTime: o.maxWallClock };
}

/** A resource file from a --resource-file whose URL and path are already filled in; the path defaults to the URL's base name. */
export function resourceFileOf(url: string, path: string | undefined): ResourceFile {
  return { httpUrl: url, filePath: path ?? baseNameOfUrl(url), fileMode: "0770" };
}

function baseNameOfUrl(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname.split("/").at(-1) ?? "");
  } catch {
    throw new UsageError(`--resource-file: "${url}" is not a URL`);
  }
}

export function parseEnv(entries: string[]): TaskOptions["env"] {
  return entries.map((e) => {
    const eq = e.indexOf("=");
    if (eq <= 0) throw new UsageError(`--env: "${e}" is not NAME=VALUE`);
    return { name: e.slice(0, eq), value: e.slice(eq + 1) };
  });
}

export function parseResourceFiles(entries: string[]): TaskOptions["resourceFiles"] {
  // PATH=URL as in `az batch task create --resource-files`; a bare URL (its query may hold '=') keeps its base name.
  return entries.map((e) => {
    const bare = /^(https?:\/\/|\{)/.test(e);
    const eq = e.indexOf("=");
    const [path, url] = bare || eq < 0 ? [undefined, e] : [e.slice(0, eq), e.slice(eq + 1)];
    if (!/^(https?:\/\/|\{)/.test(url) || path === "") throw new UsageError(`--resource-file: "${e}" is not [PATH=]URL with an http(s) URL`);
    return { url, path };
  });
}

export function intOption(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || n < min || n > max) throw new UsageError(`${name}: "${text}" must be an integer from ${min} to ${max}`);
  return n;
}
