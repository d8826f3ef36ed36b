// The collection controller: its reconcile and what it watches (its collections, their chunks).
import { keyOf, type Controller, type Queue } from "../controller/watches.ts";
import { makeCollectionReconciler, type CollectionReconcilerDeps } from "./reconciler.ts";

export function collectionController(deps: CollectionReconcilerDeps & { queue: Queue }): Controller {
  const { queue } = deps;
  return {
    name: "collection",
    workers: 2,
    reconcile: makeCollectionReconciler(deps),
    watches: {
      collections: (_kind, obj) => queue.add(keyOf(obj)),
      chunks: (_kind, { obj }) => queue.add(`${obj.metadata?.namespace}/${obj.spec?.collectionName}`),
    },
  };
}
