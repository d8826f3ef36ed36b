// Tasks that wait on each other can never run: find them (Tarjan's strongly connected
// components, iterative so long chains do not overflow the stack) so they are reported
// instead of waited on forever. Only tasks that have not completed take part: a completed
// task can no longer be part of a wait.

export type DependencyNode = { id: string; deps: Iterable<string> };

/** id → the members of its cycle (sorted), for every task on a cycle. */
export function findCycles(nodes: Iterable<DependencyNode>): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const n of nodes) graph.set(n.id, [...n.deps]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out = new Map<string, string[]>();
  let next = 0;

  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    // Each frame: a node and the position of the next edge to follow.
    const frames: { id: string; edge: number }[] = [{ id: root, edge: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const edges = graph.get(frame.id)!;
      if (frame.edge < edges.length) {
        const to = edges[frame.edge++]!;
        if (!graph.has(to)) continue;
        if (!index.has(to)) {
          index.set(to, next);
          low.set(to, next++);
          stack.push(to);
          onStack.add(to);
          frames.push({ id: to, edge: 0 });
        } else if (onStack.has(to)) low.set(frame.id, Math.min(low.get(frame.id)!, index.get(to)!));
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) !== index.get(frame.id)) continue;
      const members: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        members.push(member);
      } while (member !== frame.id);
      const selfLoop = members.length === 1 && edges.includes(frame.id);
      if (members.length > 1 || selfLoop) {
        members.sort();
        for (const m of members) out.set(m, members);
      }
    }
  }
  return out;
}
