/**
 * Turns the JSON Schema zod emits (`z.toJSONSchema(..., {target: "openapi-3.0", io: "input"})`)
 * into a Kubernetes structural schema:
 * - `$schema`/`$id`/`$defs` stripped and every `$ref` inlined (a cycle is an error);
 * - no `additionalProperties` beside `properties` (strict objects are enforced by the API
 *   server's pruning and field validation instead); `propertyNames` dropped;
 * - an open map of anything (`z.record(z.string(), z.unknown())`) becomes
 *   `x-kubernetes-preserve-unknown-fields`;
 * - an integer-or-string union becomes `x-kubernetes-int-or-string` (the string branch's
 *   pattern kept); any other union is an error, since structural schemas cannot say it;
 * - zod's ±2^53 integer bounds dropped.
 * Everything else (list-map markers from `.meta()`, defaults, descriptions) passes through.
 */

export type JsonSchema = { [key: string]: unknown };

const SAFE = Number.MAX_SAFE_INTEGER;

function isObject(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export class SchemaError extends Error {
  override name = "SchemaError";
}

function resolveRef(ref: string, root: JsonSchema, at: string): JsonSchema {
  const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  const defs = match === null ? undefined : root[match[1]!];
  const target = isObject(defs) ? defs[decodeURIComponent(match![2]!)] : undefined;
  if (!isObject(target)) throw new SchemaError(`${at}: cannot resolve $ref ${ref}`);
  return target;
}

function isIntOrString(anyOf: unknown[]): boolean {
  const types = anyOf.map((b) => (isObject(b) ? b.type : undefined)).sort();
  return anyOf.length === 2 && types[0] === "integer" && types[1] === "string";
}

/** Returns a structural copy of `schema`; `root` holds the `$defs` that `$ref`s point into. */
export function toStructural(schema: JsonSchema, root: JsonSchema = schema, at = "", resolving: string[] = []): JsonSchema {
  let node = schema;
  if (typeof node.$ref === "string") {
    const ref = node.$ref;
    if (resolving.includes(ref)) throw new SchemaError(`${at || "(root)"}: recursive $ref ${ref} cannot be inlined`);
    const { $ref: _ref, ...rest } = node;
    return toStructural({ ...resolveRef(ref, root, at), ...rest }, root, at, [...resolving, ref]);
  }

  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "$schema" || key === "$id" || key === "$defs" || key === "definitions" || key === "id") continue;
    if (key === "propertyNames") continue;
    if (key === "properties" && isObject(value)) {
      const props: JsonSchema = {};
      for (const [name, sub] of Object.entries(value)) {
        props[name] = toStructural(sub as JsonSchema, root, `${at}.${name}`, resolving);
      }
      out.properties = props;
    } else if (key === "items" && isObject(value)) {
      out.items = toStructural(value, root, `${at}[*]`, resolving);
    } else if (key === "additionalProperties") {
      if (isObject(node.properties)) continue; // structural: never beside properties
      if (value === true || (isObject(value) && Object.keys(value).length === 0)) {
        out["x-kubernetes-preserve-unknown-fields"] = true;
      } else if (isObject(value)) {
        out.additionalProperties = toStructural(value, root, `${at}.*`, resolving);
      }
      // additionalProperties: false without properties: an empty object; nothing to say.
    } else if (key === "anyOf" || key === "oneOf") {
      const branches = (value as unknown[]).map((b) => (isObject(b) && typeof b.$ref === "string" ? resolveRef(b.$ref, root, at) : b));
      if (!isIntOrString(branches)) {
        throw new SchemaError(`${at || "(root)"}: ${key} cannot be expressed in a structural schema (only integer-or-string unions can)`);
      }
      out["x-kubernetes-int-or-string"] = true;
      const stringBranch = branches.find((b) => isObject(b) && b.type === "string") as JsonSchema;
      if (typeof stringBranch.pattern === "string") out.pattern = stringBranch.pattern;
    } else if ((key === "minimum" && value === -SAFE) || (key === "maximum" && value === SAFE)) {
      continue;
    } else {
      out[key] = value;
    }
  }
  return ordered(out);
}

const FIRST = ["description", "type", "format"];
const LAST = ["required", "properties", "items", "additionalProperties", "x-kubernetes-validations"];

/** Readable key order: description and type first, nested schemas last. */
function ordered(node: JsonSchema): JsonSchema {
  const keys = Object.keys(node);
  const middle = keys.filter((k) => !FIRST.includes(k) && !LAST.includes(k));
  const out: JsonSchema = {};
  for (const k of [...FIRST, ...middle, ...LAST]) if (k in node) out[k] = node[k];
  return out;
}

/** Splits an override path (`spec.startTask.resourceFiles[*]`; "" is the root) into steps. */
export function pathSteps(path: string): string[] {
  if (path === "") return [];
  return path.split(".").flatMap((segment) => {
    const m = /^([^[\]]+)((?:\[\*\])*)$/.exec(segment);
    if (m === null) throw new SchemaError(`bad override path ${JSON.stringify(path)}`);
    return [m[1]!, ...Array.from({ length: m[2]!.length / 3 }, () => "[*]")];
  });
}

/** The schema node at `path` (following properties and array items); throws when it does not exist. */
export function nodeAt(schema: JsonSchema, path: string): JsonSchema {
  let node = schema;
  for (const step of pathSteps(path)) {
    const next = step === "[*]" ? node.items : isObject(node.properties) ? node.properties[step] : undefined;
    if (!isObject(next)) throw new SchemaError(`override path ${JSON.stringify(path)}: no ${step} under ${JSON.stringify(path)}`);
    node = next;
  }
  return node;
}

/** Calls `visit` on every schema node with its path (`spec.resourceFiles[*]`). */
export function walkSchema(schema: JsonSchema, visit: (node: JsonSchema, path: string) => void, path = ""): void {
  visit(schema, path);
  if (isObject(schema.properties)) {
    for (const [name, sub] of Object.entries(schema.properties)) {
      if (isObject(sub)) walkSchema(sub, visit, path === "" ? name : `${path}.${name}`);
    }
  }
  if (isObject(schema.items)) walkSchema(schema.items, visit, `${path}[*]`);
  if (isObject(schema.additionalProperties)) walkSchema(schema.additionalProperties, visit, `${path}.*`);
}
