import { describe, expect, it } from '@jest/globals';
import { safeRelativePath } from '../src/safe-path.ts';

describe('safeRelativePath', () => {
  it('accepts ordinary relative paths', () => {
    expect(safeRelativePath('users.csv')).toBe('users.csv');
    expect(safeRelativePath('src/app/main.ts')).toBe('src/app/main.ts');
  });

  it.each([
    ['../../etc/passwd'],
    ['/etc/passwd'],
    ['a/../b'],
    ['a//b'],
    ['./a'],
    ['a\\b'],
    ['bad\u0000name'],
    ['line\nbreak'],
    ['x'.repeat(201)],
    [''],
  ])('refuses %j', (name) => {
    expect(() => safeRelativePath(name)).toThrow(/unsafe file name/);
  });
});
