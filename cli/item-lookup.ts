// A task collection's item by its task id (`<idPrefix>-<index>`), for the commands that take a
// TASK that is not a Task object (`task output`, `task file`): its collection, index and what
// its chunk says of it, or a CliError naming what was looked for.
import type { TaskCollectionObject } from "../kube/objects.ts";
import { chunkOfItem, findCollectionItem, itemStatus, type ItemStatus } from "./collection-item.ts";
import { collectionPrefix } from "./collection-rows.ts";
import { listCollectionChunks, listCollections, type Cluster } from "./kube.ts";
import { CliError } from "./usage.ts";

export async function lookUpItem(c: Cluster, id: string): Promise<{ collection: TaskCollectionObject; name: string; index: number; status: ItemStatus }> {
  const found = findCollectionItem(await listCollections(c), id);
  const where = `in namespace "${c.namespace}"`;
  if (!found) {
    throw new CliError(`task "${id}" not found ${where}: no Task of that name (tasks.kubatch.dev), and no task collection there has an item of that id (taskcollections.kubatch.dev, item ids <idPrefix>-<index>)`);
  }
  const name = found.collection.metadata?.name ?? "";
  const itemCount = found.collection.status?.itemCount;
  if (itemCount !== undefined && found.index >= itemCount) {
    const prefix = collectionPrefix(found.collection);
    throw new CliError(`task "${id}" not found ${where}: no Task of that name (tasks.kubatch.dev), and task collection ${name} has ${itemCount} items (${prefix}-0 … ${prefix}-${itemCount - 1})`);
  }
  const chunk = chunkOfItem(await listCollectionChunks(c, [name]), name, found.index);
  return { collection: found.collection, name, index: found.index, status: itemStatus(chunk, found.index) };
}
