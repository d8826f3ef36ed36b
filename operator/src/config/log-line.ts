// The operator's log lines: text (`<time> <message>`, as before) or one JSON object per line
// for log collectors (`--log-format json`), with a level: "error" for what stops the
// operator, "info" otherwise.
export type LogLevel = "info" | "error";

export function formatLogLine(format: "text" | "json", at: Date, level: LogLevel, msg: string): string {
  if (format === "json") return JSON.stringify({ ts: at.toISOString(), level, msg });
  return `${at.toISOString()}${level === "error" ? " ERROR" : ""} ${msg}`;
}
