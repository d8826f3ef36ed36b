/** The kubatch API group and version shared by every kind. */
export const GROUP = "kubatch.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;
/** The `kubectl get <category>` name that lists every kubatch kind. */
export const CATEGORY = "kubatch";

/** The names under which a kind is served (all kinds are namespaced). */
export interface KindNames {
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  /** Longest metadata.name (enforced by the CRD and the parse function). */
  maxNameLength: number;
}
