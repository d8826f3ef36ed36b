// Every field the CRDs accept under spec, one row each where a type is reused (a resource file
// is a ResourceFile wherever it appears, a work item's job specification is a Job): the list
// docs/architecture.md's table of Azure Batch fields must cover (field-paths.test.ts checks it).
import { kinds } from "./kinds.ts";
import { crdOf } from "./render.ts";
import type { JsonSchema } from "./structural.ts";

/** Where a reused type starts: the path's tail from there is named by the type. */
const reused: [RegExp, string][] = [
  [/^WorkItem\.jobSpecification\./, "Job."],
  [/^Job\.poolInfo\.autoPoolSpecification\.pool\./, "Pool."],
  [/^.*\.resourceFiles\[\]\./, "ResourceFile."],
  [/^.*\.outputFiles\[\]\./, "OutputFile."],
  [/^.*\.exitConditions\./, "ExitConditions."],
  [/^.*\.dependsOn\./, "DependsOn."],
  [/^.*\.containerSettings\./, "ContainerSettings."],
  [/^.*\.userIdentity\./, "UserIdentity."],
  [/^(?!Job\.constraints\.).*\.constraints\./, "TaskConstraints."],
];
/** Fields whose parts are a Kubernetes type or a name/value pair: the field's own row covers them. */
const whole = /\.(environmentSettings|commonEnvironmentSettings|metadata|tolerations|credentialsSecretRef|resources|affinity|nodeSelector)(\[\])?\./;

export function canonicalPath(path: string): string {
  let p = path;
  for (let changed = true; changed; ) {
    changed = false;
    for (const [from, to] of reused) {
      if (from.test(p)) {
        const next = p.replace(from, to);
        if (next !== p) (p = next), (changed = true);
      }
    }
  }
  return p;
}

/** The spec fields of every user-facing kind (CollectionChunk is the operator's own), canonical and sorted. */
export function specFieldPaths(): string[] {
  const out = new Set<string>();
  const walk = (s: JsonSchema, path: string) => {
    const props = s.properties as Record<string, JsonSchema> | undefined;
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        const p = `${path}.${k}`;
        if (!whole.test(p)) out.add(canonicalPath(p));
        walk(v, p);
      }
    } else if (s.items) walk(s.items as JsonSchema, `${path}[]`);
  };
  for (const k of kinds) {
    if (k.names.kind === "CollectionChunk") continue;
    const crd = crdOf(k) as { spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: JsonSchema } } } }[] } };
    walk(crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec, k.names.kind);
  }
  return [...out].sort();
}
