// The samples autoscale formulas read ($ActiveTasks.GetSample(…)), kept per pool for as long
// as formulas can usefully ask (bounded in count and age).
import type { Sample, SampledVariable } from "../autoscale/index.ts";

const maxAgeMs = 3 * 3_600_000;
const maxSamples = 2_000;

export class SampleHistory {
  private readonly series = new Map<SampledVariable, Sample[]>();
  lastSampleAt = 0;

  record(at: number, values: Partial<Record<SampledVariable, number>>): void {
    this.lastSampleAt = at;
    for (const [name, value] of Object.entries(values) as [SampledVariable, number][]) {
      let list = this.series.get(name);
      if (!list) this.series.set(name, (list = []));
      list.push({ timestamp: at, value });
      while (list.length > maxSamples || (list.length > 0 && Number(list[0]!.timestamp) < at - maxAgeMs)) list.shift();
    }
  }

  samples(): Partial<Record<SampledVariable, readonly Sample[]>> {
    return Object.fromEntries(this.series);
  }
}
