import type { RequestHandler } from 'express';
import { ValidationError, type ErrorDetail } from '@genq/core';

/** Deeper than any genq request needs; bounds the work of everything that walks a body. */
export const MAX_JSON_DEPTH = 32;

/**
 * Runs after express.json. `JSON.parse` keeps a `__proto__` key as an own property; zod's
 * strict objects reject it, but records (a job's `input`) drop it silently and anything that
 * copies or merges the body later could turn it into a prototype. So the body is refused
 * (400, naming the field) when it holds a `__proto__` key, a `constructor` object with a
 * `prototype` key, or nests deeper than MAX_JSON_DEPTH. Iterative: a hostile body cannot
 * exhaust the stack here.
 */
export const rejectHostileJson: RequestHandler = (req, _res, next) => {
  const problem = findProblem(req.body);
  if (problem) throw new ValidationError('request body is not acceptable', [problem]);
  next();
};

export function findProblem(body: unknown): ErrorDetail | null {
  if (typeof body !== 'object' || body === null) return null;
  const stack: { value: object; path: string[] }[] = [{ value: body, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (path.length >= MAX_JSON_DEPTH) {
      return { path: path.join('.'), message: `nested deeper than ${MAX_JSON_DEPTH} levels` };
    }
    for (const key of Object.keys(value)) {
      const child = (value as Record<string, unknown>)[key];
      const at = [...path, key];
      if (key === '__proto__') return { path: at.join('.'), message: 'forbidden key' };
      if (
        key === 'constructor' &&
        typeof child === 'object' &&
        child !== null &&
        Object.hasOwn(child, 'prototype')
      ) {
        return { path: [...at, 'prototype'].join('.'), message: 'forbidden key' };
      }
      if (typeof child === 'object' && child !== null) stack.push({ value: child, path: at });
    }
  }
  return null;
}
