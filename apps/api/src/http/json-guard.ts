import type { Request, RequestHandler } from 'express';
import { ValidationError, type ErrorDetail } from '@genq/core';
import { printable, unstorableText } from './storable-text.ts';

/** Deeper than any genq request needs; bounds the work of everything that walks a body. */
export const MAX_JSON_DEPTH = 32;

/**
 * Runs after express.json, once for every route: the one place that checks what a request's
 * JSON may hold before any route reads it. The request is refused (400 `validation_failed`,
 * a detail naming the field) when its body
 * - holds a `__proto__` key, or a `constructor` object with a `prototype` key: `JSON.parse`
 *   keeps them as own properties; zod's strict objects reject them, but records (a job's
 *   `input`) drop them silently and anything that copies or merges the body later could turn
 *   them into a prototype;
 * - holds a string or an object key PostgreSQL cannot store (a NUL character or a lone
 *   surrogate, see storable-text.ts), which would otherwise fail the write as a 500;
 * - nests deeper than MAX_JSON_DEPTH.
 * The query string is held to the same text rule (`query.<name>`). Iterative and linear in
 * the size of the body (itself bounded by GENQ_MAX_BODY_BYTES): a hostile body cannot exhaust
 * the stack or hold the event loop here.
 */
export const rejectHostileJson: RequestHandler = (req, _res, next) => {
  const problem = findProblem(req.body);
  if (problem) throw new ValidationError('request body is not acceptable', [problem]);
  const inQuery = queryProblem(req);
  if (inQuery) throw new ValidationError('request query is not acceptable', [inQuery]);
  next();
};

/** The query (`simple` parser: strings and arrays of strings), names and values. */
function queryProblem(req: Request): ErrorDetail | null {
  const query = req.query as Record<string, unknown>;
  for (const name of Object.keys(query)) {
    const reason = unstorableText(name);
    if (reason) return { path: `query.${printable(name)}`, message: `name ${reason}` };
    const value = query[name];
    for (const item of Array.isArray(value) ? value : [value]) {
      const why = typeof item === 'string' ? unstorableText(item) : null;
      if (why) return { path: `query.${name}`, message: why };
    }
  }
  return null;
}

export function findProblem(body: unknown): ErrorDetail | null {
  if (typeof body === 'string') {
    const reason = unstorableText(body);
    return reason ? { path: '', message: reason } : null;
  }
  if (typeof body !== 'object' || body === null) return null;
  const stack: { value: object; path: string[] }[] = [{ value: body, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (path.length >= MAX_JSON_DEPTH) {
      return { path: path.join('.'), message: `nested deeper than ${MAX_JSON_DEPTH} levels` };
    }
    const at = (key: string): string => [...path, key].join('.');
    const isArray = Array.isArray(value);
    for (const key of Object.keys(value)) {
      const child = (value as Record<string, unknown>)[key];
      if (key === '__proto__') return { path: at(key), message: 'forbidden key' };
      if (!isArray) {
        const reason = unstorableText(key);
        if (reason) return { path: at(printable(key)), message: `object key ${reason}` };
      }
      if (typeof child === 'string') {
        const reason = unstorableText(child);
        if (reason) return { path: at(key), message: reason };
      } else if (typeof child === 'object' && child !== null) {
        if (key === 'constructor' && Object.hasOwn(child, 'prototype')) {
          return { path: `${at(key)}.prototype`, message: 'forbidden key' };
        }
        stack.push({ value: child, path: [...path, key] });
      }
    }
  }
  return null;
}
