// The collection controller: its reconcile and what it watches (its collections, their chunks).
import { keyOf, type Controller, type Queue } from "../controller/watches.ts";
import { makeCollectionReconciler, type CollectionReconcilerDeps } from "./reconciler.ts";

export function collectionController(deps: CollectionReconcilerDeps & { queue: Queue }): Controller {
  const { queue } = deps;
  return {
    name: "collection",
    // A blob listing holds its worker until the container is listed (minutes for a million names): the others go on.
    workers: 4,
    reconcile: makeCollectionReconciler(deps),
    watches: {
      collections: (_kind, obj) => queue.add(keyOf(obj)),
      chunks: (_kind, { obj }) => queue.add(`${obj.metadata?.namespace}/${obj.spec?.collectionName}`),
    },
  };
}
