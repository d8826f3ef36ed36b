import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuantity } from './quantity.ts';

const cases: Record<string, { in: string | number; want: number }> = {
  'plain integer': { in: '2', want: 2 },
  'millicores': { in: '500m', want: 0.5 },
  'binary suffix': { in: '8Gi', want: 8 * 2 ** 30 },
  'decimal suffix': { in: '1k', want: 1000 },
  'exponent': { in: '2e3', want: 2000 },
  'fraction': { in: '1.5', want: 1.5 },
  'number input': { in: 3, want: 3 },
};

for (const [name, tc] of Object.entries(cases)) {
  test(`parseQuantity: ${name}`, () => {
    assert.equal(parseQuantity(tc.in), tc.want);
  });
}

test('parseQuantity rejects garbage', () => {
  assert.throws(() => parseQuantity('12 apples'), /invalid quantity/);
});
