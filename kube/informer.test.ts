import assert from "node:assert/strict";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { test } from "node:test";
import { KubeConfig, type KubernetesListObject, type KubernetesObject } from "@kubernetes/client-node";
import { Informer } from "./informer.ts";

/** Polls `check` until it returns a value (kube/ may not use local-cluster's eventually). */
async function eventually<T>(what: string, ms: number, check: () => T | undefined): Promise<T> {
  const end = performance.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (performance.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An API server for one path: `mode` says how it answers lists and watches. */
async function fakeApiServer() {
  const state = { mode: "ok" as "ok" | "fail" | "silent", items: [] as KubernetesObject[] };
  const sockets = new Set<Socket>();
  const watches = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    if (state.mode === "silent") return; // accepted, never answered
    if (state.mode === "fail") return void res.writeHead(500).end("{}");
    const watch = new URL(req.url ?? "/", "http://x").searchParams.get("watch") === "true";
    if (!watch) return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ kind: "List", apiVersion: "v1", metadata: { resourceVersion: "1" }, items: state.items }));
    res.writeHead(200, { "content-type": "application/json" });
    res.flushHeaders();
    watches.add(res);
    res.on("close", () => watches.delete(res));
  });
  server.on("connection", (s) => (sockets.add(s), s.on("close", () => sockets.delete(s))));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [{ name: "c", server: url, skipTLSVerify: true }], users: [{ name: "u" }], contexts: [{ name: "c", cluster: "c", user: "u" }], currentContext: "c" });
  return {
    state,
    kc,
    list: async (): Promise<KubernetesListObject<KubernetesObject>> => (await (await fetch(`${url}/api/v1/namespaces/ns/configmaps`)).json()) as KubernetesListObject<KubernetesObject>,
    /** Sends a watch event on every open watch. */
    send: (type: string, object: object) => {
      for (const w of watches) w.write(`${JSON.stringify({ type, object })}\n`);
    },
    watching: () => watches.size,
    /** Ends every open watch (and, with it, keep-alive connections). */
    dropWatches: () => {
      for (const w of watches) w.destroy();
    },
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

const informerOf = (api: Awaited<ReturnType<typeof fakeApiServer>>) =>
  new Informer<KubernetesObject>({ kubeConfig: api.kc, path: "/api/v1/namespaces/ns/configmaps", list: api.list, onEvent: () => undefined });

test("an informer's health: answers while the API server answers; outcomes, not answers, while it refuses", async (t) => {
  const api = await fakeApiServer();
  const informer = informerOf(api);
  t.after(async () => (await informer.stop(), api.close()));
  assert.deepEqual(informer.health(), { path: "/api/v1/namespaces/ns/configmaps", synced: false, sinceOutcomeMs: 0, sinceAnswerMs: 0 }, "not started: nothing to report");
  await informer.start();
  assert.equal(informer.health().synced, true);

  // The API server refuses everything: the loop keeps getting outcomes (alive), the answers stop (not reachable).
  api.state.mode = "fail";
  const refusedAt = performance.now();
  api.dropWatches();
  const h = await eventually("an outcome after the refusal", 15_000, () => {
    const now = performance.now();
    const h = informer.health(now);
    return now - h.sinceOutcomeMs > refusedAt + 50 ? { ...h, now } : undefined;
  });
  assert.ok(h.now - h.sinceAnswerMs <= refusedAt, `no answer since the refusal (${h.sinceAnswerMs} ms ago)`);
  assert.equal(h.synced, true, "synced stays: the cache is still the last one listed");

  api.state.mode = "ok";
  const okAt = performance.now();
  await eventually("an answer again", 40_000, () => {
    const now = performance.now();
    return now - informer.health(now).sinceAnswerMs > okAt ? true : undefined;
  });
  await informer.stop();
  assert.equal(informer.health().sinceOutcomeMs, 0, "stopped: nothing to report");
});

test("an informer whose list is never answered has no outcome to show", async (t) => {
  const api = await fakeApiServer();
  api.state.mode = "silent";
  const informer = informerOf(api);
  t.after(async () => (await informer.stop(), api.close()));
  void informer.start();
  await new Promise((r) => setTimeout(r, 1_500));
  const h = informer.health();
  assert.equal(h.synced, false);
  assert.ok(h.sinceOutcomeMs >= 1_400, `${h.sinceOutcomeMs} ms since the last outcome`);
});

test("an informer keeps only the projection of what it lists and watches", async (t) => {
  const api = await fakeApiServer();
  const cm = (name: string, rv: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "ns", resourceVersion: rv }, data: { small: "s", big: "x".repeat(1000) } });
  api.state.items = [cm("listed", "1")];
  const seen: KubernetesObject[] = [];
  const informer = new Informer<KubernetesObject & { data?: Record<string, string> }>({
    kubeConfig: api.kc,
    path: "/api/v1/namespaces/ns/configmaps",
    list: api.list,
    onEvent: (_kind, obj) => void seen.push(obj),
    project: (obj) => ({ ...obj, data: { small: obj.data?.small ?? "" } }),
  });
  t.after(async () => (await informer.stop(), api.close()));
  await informer.start();
  await eventually("the watch open", 5_000, () => (api.watching() > 0 ? true : undefined));
  api.send("ADDED", cm("watched", "2"));
  await eventually("the watched object cached", 5_000, () => informer.get("watched", "ns"));
  for (const name of ["listed", "watched"]) assert.deepEqual(informer.get(name, "ns")?.data, { small: "s" }, `${name}: cached as projected`);
  assert.deepEqual(seen.map((o) => (o as { data?: object }).data), [{ small: "s" }, { small: "s" }], "handlers see the projection");
});
