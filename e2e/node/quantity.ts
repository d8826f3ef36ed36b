// Kubernetes resource quantities ("500m", "1Gi", "2e3") as plain numbers, enough for
// downward-API resource fields and node capacity.

const binarySuffixes: Record<string, number> = {
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};
const decimalSuffixes: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};

/** Parses a quantity into its numeric value (cpu "500m" → 0.5, memory "1Ki" → 1024). */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|([a-zA-Z]*))$/.exec(q.trim());
  if (!m) throw new Error(`invalid quantity "${q}"`);
  const base = Number(m[1]);
  if (m[2] !== undefined) return base * 10 ** Number(m[2].slice(1));
  const suffix = m[3] ?? '';
  const mult = binarySuffixes[suffix] ?? decimalSuffixes[suffix];
  if (mult === undefined) throw new Error(`invalid quantity suffix in "${q}"`);
  return base * mult;
}
