import assert from "node:assert/strict";
import { test } from "node:test";
import { dbGrowth, parseEtcdDbSize } from "./etcd-metrics.ts";

test("parseEtcdDbSize reads the database sizes from etcd's /metrics", () => {
  const cases: { name: string; text: string; want: ReturnType<typeof parseEtcdDbSize> | RegExp }[] = [
    {
      name: "both gauges, exponent notation, other series around",
      text: [
        "# HELP etcd_mvcc_db_total_size_in_bytes Total size of the underlying database physically allocated in bytes.",
        "# TYPE etcd_mvcc_db_total_size_in_bytes gauge",
        "etcd_mvcc_db_total_size_in_bytes 2.4576e+06",
        "etcd_mvcc_db_total_size_in_use_in_bytes 1.97e+06",
        "etcd_mvcc_db_total_size_in_bytes_other 5",
        "etcd_server_has_leader 1",
      ].join("\n"),
      want: { totalBytes: 2_457_600, inUseBytes: 1_970_000 },
    },
    { name: "labels on the series", text: 'etcd_mvcc_db_total_size_in_bytes{instance="a"} 4096\n', want: { totalBytes: 4096 } },
    { name: "no in-use gauge (old etcd)", text: "etcd_mvcc_db_total_size_in_bytes 8192\n", want: { totalBytes: 8192 } },
    { name: "only a longer name that starts the same", text: "etcd_mvcc_db_total_size_in_bytes_other 5\n", want: /not in etcd's \/metrics/ },
    { name: "empty", text: "", want: /not in etcd's \/metrics/ },
  ];
  for (const c of cases) {
    if (c.want instanceof RegExp) assert.throws(() => parseEtcdDbSize(c.text), c.want, c.name);
    else assert.deepEqual(parseEtcdDbSize(c.text), c.want, c.name);
  }
});

test("dbGrowth in MiB, the in-use growth only when both readings have it", () => {
  const M = 2 ** 20;
  assert.deepEqual(dbGrowth({ totalBytes: 2 * M, inUseBytes: M }, { totalBytes: 12.5 * M, inUseBytes: 9 * M }), { beforeMiB: 2, afterMiB: 12.5, growthMiB: 10.5, inUseGrowthMiB: 8 });
  assert.deepEqual(dbGrowth({ totalBytes: 2 * M }, { totalBytes: 2 * M, inUseBytes: M }), { beforeMiB: 2, afterMiB: 2, growthMiB: 0 });
});
