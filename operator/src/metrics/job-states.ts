// How many jobs are in each state per namespace, kept from the job events (each event moves
// one job from its old state to its new one), for the gauge kubatch_jobs.
export type JobStateCount = { namespace: string; state: string; count: number };

export class JobStates {
  private readonly stateOf = new Map<string, { namespace: string; state: string }>();
  private readonly counts = new Map<string, number>();

  /** A job seen (added, updated) with this state, or gone (state undefined); returns the (namespace, state) counts that changed. */
  set(key: string, namespace: string, state: string | undefined): JobStateCount[] {
    const old = this.stateOf.get(key);
    if (old?.state === state && old?.namespace === namespace) return [];
    const changed: JobStateCount[] = [];
    const move = (ns: string, st: string, delta: number) => {
      const id = `${ns}\u0000${st}`;
      const count = (this.counts.get(id) ?? 0) + delta;
      if (count > 0) this.counts.set(id, count);
      else this.counts.delete(id);
      changed.push({ namespace: ns, state: st, count: Math.max(0, count) });
    };
    if (old) move(old.namespace, old.state, -1);
    if (state === undefined) this.stateOf.delete(key);
    else {
      this.stateOf.set(key, { namespace, state });
      move(namespace, state, 1);
    }
    return changed;
  }
}
