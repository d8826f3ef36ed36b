import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { startHealthServer } from "./health-server.ts";

test("the health server answers each check with 200 or 503 and the check's reason", async (t) => {
  let state: { live?: string; ready?: string } = {};
  const server = await startHealthServer("127.0.0.1", 0, {
    live: () => state.live,
    ready: () => {
      if (state.ready === "throw") throw new Error("boom");
      return state.ready;
    },
  });
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const cases: Record<string, { live?: string; ready?: string; path: string; want: string }> = {
    "alive": { path: "/healthz", want: "200 ok" },
    "alive while not ready": { ready: "caches not synced", path: "/healthz", want: "200 ok" },
    "not ready, with why": { ready: "caches not synced", path: "/readyz", want: "503 caches not synced" },
    "ready": { path: "/readyz", want: "200 ok" },
    "a query string is ignored": { path: "/readyz?verbose", want: "200 ok" },
    "wedged, with why": { live: "the watch is stuck", path: "/healthz", want: "503 the watch is stuck" },
    "a check that throws fails": { ready: "throw", path: "/readyz", want: "503 the check failed: boom" },
    "anything else": { path: "/metrics", want: "404 not found" },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, async () => {
      state = { live: tc.live, ready: tc.ready };
      const res = await fetch(`http://127.0.0.1:${port}${tc.path}`);
      assert.equal(`${res.status} ${await res.text()}`, tc.want);
    });
  }
});

test("a port in use is an error, not a hang", async (t) => {
  const first = await startHealthServer("127.0.0.1", 0, { live: () => undefined, ready: () => undefined });
  t.after(() => first.close());
  await assert.rejects(startHealthServer("127.0.0.1", (first.address() as AddressInfo).port, { live: () => undefined, ready: () => undefined }), /EADDRINUSE/);
});

test("a JSON route answers its body, 503 with the reason it is unavailable, 500 when it throws", async (t) => {
  let answer: () => Promise<unknown> = async () => ({ cpuSeconds: 1.5 });
  const server = await startHealthServer("127.0.0.1", 0, { live: () => undefined, ready: () => undefined }, { "/usage": () => answer() });
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/usage`;
  const cases: [string, () => Promise<unknown>, string][] = [
    ["a body", async () => ({ cpuSeconds: 1.5 }), '200 application/json {"cpuSeconds":1.5}'],
    ["unavailable", async () => ({ unavailable: "the runner did not answer" }), "503 text/plain; charset=utf-8 the runner did not answer"],
    ["a route that throws", async () => Promise.reject(new Error("boom")), "500 null /usage failed: boom"],
  ];
  for (const [name, fn, want] of cases) {
    await t.test(name, async () => {
      answer = fn;
      const res = await fetch(url);
      assert.equal(`${res.status} ${res.headers.get("content-type")} ${await res.text()}`, want);
    });
  }
});
