import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expand } from './expansion.ts';

const vars: Record<string, string> = { A: 'alpha', B: 'beta', EMPTY: '' };
const lookup = (n: string) => vars[n];

const cases: Record<string, { in: string; want: string }> = {
  'defined var': { in: 'x-$(A)-y', want: 'x-alpha-y' },
  'two vars': { in: '$(A)$(B)', want: 'alphabeta' },
  'undefined var kept': { in: '$(NOPE)/bin', want: '$(NOPE)/bin' },
  'empty value': { in: '[$(EMPTY)]', want: '[]' },
  'escaped operator': { in: '$$(A)', want: '$(A)' },
  'double dollar': { in: 'cost $$5', want: 'cost $5' },
  'lone dollar kept': { in: 'a $b', want: 'a $b' },
  'trailing dollar': { in: 'a$', want: 'a$' },
  'unclosed reference': { in: '$(A', want: '$(A' },
  'shell syntax untouched': { in: 'echo ${HOME}', want: 'echo ${HOME}' },
};

for (const [name, tc] of Object.entries(cases)) {
  test(`expand: ${name}`, () => {
    assert.equal(expand(tc.in, lookup), tc.want);
  });
}
