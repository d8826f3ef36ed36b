// The ServiceAccount token volume kubelet would add, written out so a pod that turns
// automountServiceAccountToken off can mount it into the one container that needs the API
// (the node pod's agent, a container task's upload container) and into no other.
import type { V1Volume, V1VolumeMount } from "@kubernetes/client-node";

export const tokenVolumeName = "kube-api-access";

export const tokenVolume: V1Volume = {
  name: tokenVolumeName,
  projected: {
    sources: [
      { serviceAccountToken: { path: "token", expirationSeconds: 3607 } },
      { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
      { downwardAPI: { items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }] } },
    ],
  },
};

/** Where client libraries look for the token in a pod. */
export const tokenMount: V1VolumeMount = { name: tokenVolumeName, mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", readOnly: true };
