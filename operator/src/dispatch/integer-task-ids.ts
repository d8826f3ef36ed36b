import { integerTaskId } from "../../../api/task-dependencies.ts";

// A job's integer task ids ("7", never "07"), sorted, so a dependsOn range costs the tasks
// that exist in it, never the size of the range (a range may span a million ids).

export class IntegerTaskIds {
  private readonly present = new Set<number>();
  /** Ascending; may still hold removed ids (skipped on reading) so a re-added task costs nothing. */
  private sorted: number[] = [];
  private readonly inSorted = new Set<number>();
  private stale = false;

  add(id: string): void {
    const n = integerTaskId(id);
    if (n === undefined) return;
    this.present.add(n);
    if (this.inSorted.has(n)) return;
    // Tasks are mostly created in ascending order: appending keeps the array sorted.
    if (!this.stale && (this.sorted.length === 0 || n > this.sorted[this.sorted.length - 1]!)) {
      this.sorted.push(n);
      this.inSorted.add(n);
    } else this.stale = true;
  }

  delete(id: string): void {
    const n = integerTaskId(id);
    if (n !== undefined) this.present.delete(n);
  }

  get size(): number {
    return this.present.size;
  }

  /** The ids in [start, end] that exist, ascending. */
  *inRange(start: number, end: number): Generator<number> {
    const ids = this.ascending();
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ids[mid]! < start) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < ids.length && ids[i]! <= end; i++) if (this.present.has(ids[i]!)) yield ids[i]!;
  }

  private ascending(): number[] {
    // Rebuilt after an out-of-order add, or once removed ids make up most of the array.
    if (this.stale || this.sorted.length > 2 * this.present.size + 64) {
      this.sorted = [...this.present].sort((a, b) => a - b);
      this.inSorted.clear();
      for (const n of this.sorted) this.inSorted.add(n);
      this.stale = false;
    }
    return this.sorted;
  }
}
