// Which Secrets node agents read through the API (pure): the credentialsSecretRef of the
// resource and output files of the tasks a node runs (single tasks and collections' items), and
// of the jobs' preparation, release and manager tasks; and a collection's blob source's, which
// the operator reads as the node identity to list the container (collection/blob-source.ts); and
// the job token's of a task that asks for one (api/job-token.ts). Not the start task's, the auto-storage Secret or container tasks' (their
// pods get those through secretKeyRef env, which the kubelet resolves).
import { jobTokenSecret, wantsJobToken } from "../../../api/job-token.ts";
import type { JobObject, TaskCollectionObject, TaskObject } from "../../../kube/objects.ts";
import { jobNameOf } from "../../../api/job-name.ts";

type Files = { resourceFiles?: readonly { credentialsSecretRef?: { name?: string } }[]; outputFiles?: readonly { destination?: { container?: { credentialsSecretRef?: { name?: string } } } }[] };

function namesOf(files: Files | undefined, into: Set<string>): void {
  for (const f of files?.resourceFiles ?? []) if (f.credentialsSecretRef?.name) into.add(f.credentialsSecretRef.name);
  for (const f of files?.outputFiles ?? []) if (f.destination?.container?.credentialsSecretRef?.name) into.add(f.destination.container.credentialsSecretRef.name);
}

/** The Secrets one task's agent reads (none for a container task: it never reaches a node). */
export function taskSecretNames(task: TaskObject): string[] {
  const names = new Set<string>();
  if (!task.spec?.containerSettings) namesOf(task.spec as Files, names);
  const job = jobNameOf(task.spec);
  if (job && !task.spec?.containerSettings && wantsJobToken(task.spec?.authenticationTokenSettings)) names.add(jobTokenSecret(job));
  return [...names];
}

/** The Secrets one job's preparation, release and manager tasks make agents read. */
export function jobSecretNames(job: JobObject): string[] {
  const names = new Set<string>();
  const spec = job.spec;
  // The agent runs preparation and release tasks on the node even with containerSettings.
  namesOf(spec?.jobPreparationTask as Files | undefined, names);
  namesOf(spec?.jobReleaseTask as Files | undefined, names);
  // The manager becomes a Task (counted there too); a container one runs as its own Pod.
  if (!spec?.jobManagerTask?.containerSettings) {
    namesOf(spec?.jobManagerTask as Files | undefined, names);
    if (job.metadata?.name && wantsJobToken(spec?.jobManagerTask?.authenticationTokenSettings)) names.add(jobTokenSecret(job.metadata.name));
  }
  return [...names];
}

/** The Secrets one collection names: its items' resource and output files', its blob source's. */
export function collectionSecretNames(collection: TaskCollectionObject): string[] {
  const names = new Set<string>();
  namesOf(collection.spec?.task as Files | undefined, names);
  const source = collection.spec?.source?.blobs?.credentialsSecretRef?.name;
  if (source) names.add(source);
  const job = jobNameOf(collection.spec);
  if (job && wantsJobToken(collection.spec?.task?.authenticationTokenSettings)) names.add(jobTokenSecret(job));
  return [...names];
}

/** Every Secret the node identity of a namespace reads, sorted: the node Role's resourceNames. */
export function agentSecretNames(tasks: readonly TaskObject[], jobs: readonly JobObject[], collections: readonly TaskCollectionObject[] = []): string[] {
  const names = new Set<string>();
  for (const t of tasks) for (const n of taskSecretNames(t)) names.add(n);
  for (const j of jobs) for (const n of jobSecretNames(j)) names.add(n);
  for (const c of collections) for (const n of collectionSecretNames(c)) names.add(n);
  return [...names].sort();
}
