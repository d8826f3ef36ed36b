/** The node a task is assigned to: the operator's single assignment record, in the Task's labels. */
export const nodeLabel = "kubatch.dev/node";
