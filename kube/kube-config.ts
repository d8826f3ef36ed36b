// The one way kubatch loads a kubeconfig: like kubectl (KUBECONFIG, ~/.kube/config, or the
// in-cluster service account), with connections kept alive across API calls.
import { KubeConfig, type RequestContext } from "@kubernetes/client-node";

/**
 * client-node 2.0.1 builds a new undici dispatcher — a new TLS connection — for every API
 * call; measured in e2e/bench, that handshake was the largest single cost per task on both
 * ends and most of the operator's RSS. Every call made through this config shares one.
 * Credentials still come per request (a rotated service-account token is picked up).
 */
export class PooledKubeConfig extends KubeConfig {
  private dispatcher: ReturnType<RequestContext["getDispatcher"]>;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    this.dispatcher ??= context.getDispatcher();
    if (this.dispatcher) context.setDispatcher(this.dispatcher);
  }
}

export function loadKubeConfig(file?: string): KubeConfig {
  const kc = new PooledKubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return kc;
}
