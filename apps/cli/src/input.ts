import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { usageError } from './errors.ts';
import { PRIORITY_NAMES, type ErrorDetail, type JobRequest, type PriorityName } from './types.ts';

/** One job request of a batch file, with where it came from. */
export interface RequestLine {
  /** 1-based line number (JSONL) or item number (JSON array). */
  line: number;
  request: JobRequest;
  /** Short hash of the request, to notice a file that changed under a state file. */
  hash: string;
}

export interface RequestFile {
  path: string;
  /** sha256 of the whole file. */
  sha256: string;
  lines: RequestLine[];
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** `--set` value: JSON when it parses (`10`, `true`, `[1,2]`, `"x"`), else the text itself. */
export function parseSetValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Applies `key=value` assignments to `target`: dotted keys make nested objects
 * (`fields.0.name=id` → arrays where the segment is a number).
 */
export function applySets(target: Record<string, unknown>, assignments: string[]): void {
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw usageError(`--set expects key=value, got "${assignment}"`);
    const segments = assignment.slice(0, eq).split('.');
    if (segments.some((s) => s === '' || FORBIDDEN_KEYS.has(s))) {
      throw usageError(`--set: bad key "${assignment.slice(0, eq)}"`);
    }
    const value = parseSetValue(assignment.slice(eq + 1));
    let node: Record<string, unknown> | unknown[] = target;
    segments.forEach((segment, i) => {
      const last = i === segments.length - 1;
      const key: string | number = Array.isArray(node) ? Number(segment) : segment;
      if (Array.isArray(node) && !/^\d+$/.test(segment)) {
        throw usageError(
          `--set: "${segments.slice(0, i).join('.')}" is a list, "${segment}" is not an index`,
        );
      }
      const container = node as Record<string | number, unknown>;
      if (last) {
        container[key] = value;
        return;
      }
      let next = container[key];
      if (typeof next !== 'object' || next === null) {
        next = /^\d+$/.test(segments[i + 1] ?? '') ? [] : {};
        container[key] = next;
      }
      node = next as Record<string, unknown> | unknown[];
    });
  }
}

/** Reads a JSON object from a file, or from stdin with `-`. */
export async function readJsonObject(path: string, what: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = path === '-' ? await readStdin() : await readFile(path, 'utf8');
  } catch (error) {
    throw usageError(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw usageError(`${what} ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw usageError(`${what} ${path} must hold a JSON object`);
  }
  return value as Record<string, unknown>;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function parsePriority(value: string): PriorityName {
  const upper = value.toUpperCase();
  if (!(PRIORITY_NAMES as readonly string[]).includes(upper)) {
    throw usageError(`--priority must be HIGH, NORMAL or LOW, not "${value}"`);
  }
  return upper as PriorityName;
}

const REQUEST_KEYS = new Set(['generator', 'input', 'priority', 'target']);

/** Checks one item's shape (the API checks the rest); problems are pushed to `details`. */
function toRequest(value: unknown, where: string, details: ErrorDetail[]): JobRequest | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    details.push({ path: where, message: 'must be a JSON object {"generator":…,"input":{…}}' });
    return null;
  }
  const item = value as Record<string, unknown>;
  const before = details.length;
  for (const key of Object.keys(item)) {
    if (!REQUEST_KEYS.has(key)) details.push({ path: `${where}.${key}`, message: 'unknown field' });
  }
  if (typeof item.generator !== 'string' || item.generator === '') {
    details.push({ path: `${where}.generator`, message: 'must be a generator name' });
  }
  const input = item.input ?? {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    details.push({ path: `${where}.input`, message: 'must be a JSON object' });
  }
  if (
    item.priority !== undefined &&
    !(PRIORITY_NAMES as readonly unknown[]).includes(item.priority)
  ) {
    details.push({ path: `${where}.priority`, message: 'must be HIGH, NORMAL or LOW' });
  }
  if (item.target !== undefined && typeof item.target !== 'string') {
    details.push({ path: `${where}.target`, message: 'must be a string' });
  }
  if (details.length > before) return null;
  const request: JobRequest = {
    generator: item.generator as string,
    input: input as Record<string, unknown>,
  };
  if (item.priority !== undefined) request.priority = item.priority as PriorityName;
  if (item.target !== undefined) request.target = item.target as string;
  return request;
}

export function requestHash(request: JobRequest): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex').slice(0, 16);
}

/**
 * Reads a batch file: JSON Lines (one request per line; blank lines and lines starting with
 * `#` skipped) or one JSON array. Every problem is reported at once, with its line.
 */
export async function readRequestFile(path: string): Promise<RequestFile> {
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (error) {
    throw usageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const sha256 = createHash('sha256').update(buffer).digest('hex');
  const text = buffer.toString('utf8').replace(/^\uFEFF/, '');
  const details: ErrorDetail[] = [];
  const lines: RequestLine[] = [];
  const add = (value: unknown, line: number, where: string): void => {
    const request = toRequest(value, where, details);
    if (request) lines.push({ line, request, hash: requestHash(request) });
  };

  if (text.trimStart().startsWith('[')) {
    let items: unknown;
    try {
      items = JSON.parse(text);
    } catch (error) {
      throw usageError(`${path} is not a valid JSON array: ${(error as Error).message}`);
    }
    (items as unknown[]).forEach((item, index) => add(item, index + 1, `item ${index + 1}`));
  } else {
    text.split(/\r?\n/).forEach((raw, index) => {
      const trimmed = raw.trim();
      if (trimmed === '' || trimmed.startsWith('#')) return;
      let value: unknown;
      try {
        value = JSON.parse(trimmed);
      } catch (error) {
        details.push({
          path: `line ${index + 1}`,
          message: `not JSON: ${(error as Error).message}`,
        });
        return;
      }
      add(value, index + 1, `line ${index + 1}`);
    });
  }
  if (details.length > 0) {
    throw usageError(`${path}: ${details.length} problem(s), nothing was submitted`, details);
  }
  if (lines.length === 0) throw usageError(`${path} holds no job requests`);
  return { path, sha256, lines };
}
