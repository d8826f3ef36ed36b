import { integerTaskId } from "../../../api/task-dependencies.ts";

// A job's integer task ids ("7", never "07"), sorted, so a dependsOn range costs the tasks
// that exist in it, never the size of the range (a range may span a million ids).

export class IntegerTaskIds {
  private readonly present = new Set<number>();
  /** Ascending; may still hold removed ids (skipped on reading) so a re-added task costs nothing. */
  private sorted: number[] = [];
  private readonly inSorted = new Set<number>();

  add(id: string): void {
    const n = integerTaskId(id);
    if (n === undefined) return;
    this.present.add(n);
    if (this.inSorted.has(n)) return;
    // Tasks come mostly in ascending order, so the insertion point is at or near the end.
    this.sorted.splice(this.lowerBound(n), 0, n);
    this.inSorted.add(n);
  }

  delete(id: string): void {
    const n = integerTaskId(id);
    if (n === undefined || !this.present.delete(n)) return;
    // Compacted once removed ids make up most of the array.
    if (this.sorted.length > 2 * this.present.size + 64) {
      this.sorted = this.sorted.filter((x) => this.present.has(x));
      this.inSorted.clear();
      for (const x of this.sorted) this.inSorted.add(x);
    }
  }

  get size(): number {
    return this.present.size;
  }

  /** The ids in [start, end] that exist, ascending. */
  *inRange(start: number, end: number): Generator<number> {
    for (let i = this.lowerBound(start); i < this.sorted.length && this.sorted[i]! <= end; i++) if (this.present.has(this.sorted[i]!)) yield this.sorted[i]!;
  }

  /** The first position whose id is ≥ n. */
  private lowerBound(n: number): number {
    let lo = 0;
    let hi = this.sorted.length;
    if (hi > 0 && this.sorted[hi - 1]! < n) return hi;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid]! < n) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
