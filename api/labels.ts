/** The node a task is assigned to: the operator's single assignment record, in the Task's labels. */
export const nodeLabel = "kubatch.dev/node";
/** On a task whose exit conditions disabled its job: the action was applied (once per completion). */
export const jobActionAppliedAnnotation = "kubatch.dev/job-action-applied";
/** On every job a work item created: the work item's name. */
export const workItemLabel = "kubatch.dev/work-item";
