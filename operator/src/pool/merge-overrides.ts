// Pool.spec.podTemplate overrides are merged into the generated pod template the way a
// strategic merge patch would for the fields that matter: objects merge key by key, lists
// of named items (containers, initContainers, volumes, env, volumeMounts) merge by name,
// other lists and scalars are replaced.

const namedLists = new Set(["containers", "initContainers", "volumes", "env", "volumeMounts", "ports", "imagePullSecrets"]);

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function mergeOverrides<T>(base: T, overrides: Json, key = ""): T {
  if (overrides === undefined) return base;
  if (Array.isArray(base) && Array.isArray(overrides) && namedLists.has(key)) {
    const out = [...base] as Json[];
    for (const item of overrides) {
      const name = isObject(item) ? item.name : undefined;
      const at = name === undefined ? -1 : out.findIndex((b) => isObject(b) && b.name === name);
      if (at >= 0) out[at] = mergeOverrides(out[at], item, "");
      else out.push(item);
    }
    return out as T;
  }
  if (isObject(base) && isObject(overrides)) {
    const out: Record<string, Json> = { ...base };
    for (const [k, v] of Object.entries(overrides)) out[k] = k in base ? mergeOverrides(base[k], v, k) : v;
    return out as T;
  }
  return overrides as T;
}
