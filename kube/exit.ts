// Ending a program without losing its output: process.exit drops whatever stdout or stderr
// has not handed to the OS yet, and a pipe to a slow reader (`kubatch … | jq`, the stdout of
// a pods/exec) takes bytes only as fast as it is read.

/** Exits with `code` once stdout and stderr have handed everything written to them to the OS. */
export function exitAfterFlush(code: number): void {
  const streams = [process.stdout, process.stderr].filter((s) => s.writableLength > 0);
  let pending = streams.length;
  if (pending === 0) process.exit(code);
  // A write's callback runs once it and every write before it are done (or failed: exit anyway).
  for (const s of streams) s.write("", () => --pending === 0 && process.exit(code));
}
