/** A small line diff (longest common subsequence) for --check messages: `-` committed, `+` generated. */
export function lineDiff(committed: string, generated: string, context = 2, maxLines = 80): string {
  const a = committed.split("\n");
  const b = generated.split("\n");
  const n = a.length;
  const m = b.length;
  // LCS table; CRDs are a few thousand lines, so n*m stays manageable.
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: { op: " " | "-" | "+"; line: string; a: number; b: number }[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ op: " ", line: a[i++]!, a: i, b: ++j });
    else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ op: "-", line: a[i++]!, a: i, b: j });
    else ops.push({ op: "+", line: b[j++]!, a: i, b: j });
  }
  const keep = new Set<number>();
  ops.forEach((o, k) => {
    if (o.op !== " ") for (let d = -context; d <= context; d++) keep.add(k + d);
  });
  const out: string[] = [];
  let last = -2;
  for (let k = 0; k < ops.length; k++) {
    if (!keep.has(k)) continue;
    if (k !== last + 1) out.push(`@@ line ${ops[k]!.a} @@`);
    out.push(`${ops[k]!.op}${ops[k]!.line}`);
    last = k;
    if (out.length >= maxLines) {
      out.push("… (diff truncated)");
      break;
    }
  }
  return out.join("\n");
}
