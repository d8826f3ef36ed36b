/** On every job a work item created: the work item's name. */
export const workItemLabel = "kubatch.dev/work-item";
