// A process's memory and CPU from /proc (Linux): sampled once a second while a phase runs.
import { readFileSync } from "node:fs";

const clockTicks = 100; // sysconf(_SC_CLK_TCK) on Linux

export type ProcSample = { at: number; rssKiB: number; hwmKiB: number; cpuSeconds: number };

export function readProc(pid: number): ProcSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at field 3.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    return { at: Date.now(), rssKiB: kib("VmRSS"), hwmKiB: kib("VmHWM"), cpuSeconds: (utime + stime) / clockTicks };
  } catch {
    return undefined;
  }
}

export type ProcSummary = {
  pid: number;
  seconds: number;
  rssStartMiB: number;
  rssEndMiB: number;
  rssPeakMiB: number;
  cpuSeconds: number;
  /** CPU seconds per wall second (1.0 = one core busy). */
  cpuCores: number;
  samples: number;
};

export class ProcSampler {
  readonly pid: number;
  private readonly samples: ProcSample[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(pid: number, everyMs = 1_000) {
    this.pid = pid;
    this.take();
    this.timer = setInterval(() => this.take(), everyMs);
    this.timer.unref();
  }

  private take(): void {
    const s = readProc(this.pid);
    if (s) this.samples.push(s);
  }

  /** The latest RSS, without stopping. */
  peek(): { rssMiB: number } | undefined {
    const s = this.samples.at(-1);
    return s ? { rssMiB: Math.round(s.rssKiB / 1024) } : undefined;
  }

  stop(): ProcSummary {
    clearInterval(this.timer);
    this.take();
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last) throw new Error(`no /proc samples of pid ${this.pid}`);
    const mib = (k: number) => Math.round((k / 1024) * 10) / 10;
    const seconds = (last.at - first.at) / 1000;
    const cpu = last.cpuSeconds - first.cpuSeconds;
    return {
      pid: this.pid,
      seconds: Math.round(seconds * 10) / 10,
      rssStartMiB: mib(first.rssKiB),
      rssEndMiB: mib(last.rssKiB),
      rssPeakMiB: mib(Math.max(...this.samples.map((s) => s.rssKiB))),
      cpuSeconds: Math.round(cpu * 100) / 100,
      cpuCores: seconds > 0 ? Math.round((cpu / seconds) * 100) / 100 : 0,
      samples: this.samples.length,
    };
  }
}
