// Where a task's (or a collection item's) files live on its node: the agent's layout, for the
// notes that point people at the full file.

export function taskFilePath(o: { job: string; task: string; file: string; node?: string }): string {
  return `$AZ_BATCH_NODE_ROOT_DIR/workitems/${o.job}/job-1/${o.task}/${o.file}${o.node ? ` on node ${o.node}` : ""}`;
}
