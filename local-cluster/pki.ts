// Certificates for one local cluster, made with the openssl CLI (Node cannot issue X.509):
// a serving CA (apiserver and node serving certs), a client CA (admin, controller-manager,
// scheduler, the apiserver's kubelet client) and the service-account signing key pair.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type Pki = {
  dir: string;
  servingCa: string;
  clientCa: string;
  apiserver: KeyPair;
  kubeletServing: KeyPair;
  kubeletClient: KeyPair;
  nodeClient: KeyPair;
  kubeProxy: KeyPair;
  admin: KeyPair;
  controllerManager: KeyPair;
  scheduler: KeyPair;
  serviceAccountKey: string;
  serviceAccountPub: string;
};

export type KeyPair = { cert: string; key: string };

type CertSpec = { name: string; ca: "serving" | "client"; subject: string; usage: "serverAuth" | "clientAuth"; sans?: string[] };

/** The addresses the serving certificates name: they change with the cluster's network slot. */
export type PkiAddresses = { apiserverIp: string; nodeIp: string; nodeName: string };

type CertName = Exclude<keyof Pki, "dir" | "servingCa" | "clientCa" | "serviceAccountKey" | "serviceAccountPub">;

const certs = (a: PkiAddresses): Record<CertName, CertSpec> => ({
  apiserver: {
    name: "apiserver",
    ca: "serving",
    subject: "/CN=kube-apiserver",
    usage: "serverAuth",
    sans: [`IP:${a.apiserverIp}`, "IP:127.0.0.1", "IP:10.0.0.1", "DNS:localhost", "DNS:kubernetes", "DNS:kubernetes.default", "DNS:kubernetes.default.svc", "DNS:kubernetes.default.svc.cluster.local"],
  },
  kubeletServing: { name: "kubelet-serving", ca: "serving", subject: `/CN=${a.nodeName}`, usage: "serverAuth", sans: [`IP:${a.nodeIp}`, `DNS:${a.nodeName}`] },
  kubeletClient: { name: "apiserver-kubelet-client", ca: "client", subject: "/O=system:masters/CN=kube-apiserver-kubelet-client", usage: "clientAuth" },
  // The node's identity: the Node authorizer and NodeRestriction apply to it.
  nodeClient: { name: "node-client", ca: "client", subject: `/O=system:nodes/CN=system:node:${a.nodeName}`, usage: "clientAuth" },
  // Bound to system:node-proxier by the API server's default policy.
  kubeProxy: { name: "kube-proxy", ca: "client", subject: "/CN=system:kube-proxy", usage: "clientAuth" },
  admin: { name: "admin", ca: "client", subject: "/O=system:masters/CN=kubatch-admin", usage: "clientAuth" },
  controllerManager: { name: "controller-manager", ca: "client", subject: "/CN=system:kube-controller-manager", usage: "clientAuth" },
  scheduler: { name: "scheduler", ca: "client", subject: "/CN=system:kube-scheduler", usage: "clientAuth" },
});

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

function makeCa(dir: string, name: string, cn: string): void {
  if (existsSync(join(dir, `${name}.crt`))) return;
  openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`], dir);
  openssl(["req", "-x509", "-new", "-key", `${name}.key`, "-subj", `/CN=${cn}`, "-days", "3650", "-out", `${name}.crt`], dir);
}

function makeCert(dir: string, spec: CertSpec): KeyPair {
  const pair = { cert: join(dir, `${spec.name}.crt`), key: join(dir, `${spec.name}.key`) };
  const ext = [`keyUsage=critical,digitalSignature,keyEncipherment`, `extendedKeyUsage=${spec.usage}`, `basicConstraints=CA:FALSE`, `# subject ${spec.subject}`];
  if (spec.sans) ext.push(`subjectAltName=${spec.sans.join(",")}`);
  const extFile = join(dir, `${spec.name}.ext`);
  const extText = ext.join("\n") + "\n";
  // Kept while it still names the same subject and addresses.
  if (existsSync(pair.cert) && existsSync(extFile) && readFileSync(extFile, "utf8") === extText) return pair;
  writeFileSync(extFile, extText);
  openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${spec.name}.key`], dir);
  openssl(["req", "-new", "-key", `${spec.name}.key`, "-subj", spec.subject, "-out", `${spec.name}.csr`], dir);
  const ca = `${spec.ca}-ca`;
  openssl(["x509", "-req", "-in", `${spec.name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-days", "825", "-extfile", `${spec.name}.ext`, "-out", `${spec.name}.crt`], dir);
  return pair;
}

/** Creates what is missing under dir and returns every path; existing files are kept. */
export function ensurePki(dir: string, addresses: PkiAddresses): Pki {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  makeCa(dir, "serving-ca", "kubatch-serving-ca");
  makeCa(dir, "client-ca", "kubatch-client-ca");
  if (!existsSync(join(dir, "sa.key"))) {
    openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.key"], dir);
    openssl(["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir);
  }
  const pairs = Object.fromEntries(Object.entries(certs(addresses)).map(([k, spec]) => [k, makeCert(dir, spec)])) as Record<CertName, KeyPair>;
  return {
    dir,
    servingCa: join(dir, "serving-ca.crt"),
    clientCa: join(dir, "client-ca.crt"),
    ...pairs,
    serviceAccountKey: join(dir, "sa.key"),
    serviceAccountPub: join(dir, "sa.pub"),
  };
}

export function base64File(path: string): string {
  return readFileSync(path).toString("base64");
}
