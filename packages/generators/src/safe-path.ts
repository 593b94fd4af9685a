import path from 'node:path';

export const MAX_PATH_LENGTH = 200;
const SEGMENT = /^[A-Za-z0-9._@+-][A-Za-z0-9 ._@+-]*$/;

/**
 * Checks a relative file name that came from a generator (or a model's reply) before it
 * touches the disk: no absolute paths, no `..`, no control or unusual characters, bounded
 * length. Returns the normalised POSIX path or throws.
 */
export function safeRelativePath(name: string): string {
  if (name.length === 0 || name.length > MAX_PATH_LENGTH) {
    throw new Error(
      `unsafe file name (length ${name.length}): must be 1–${MAX_PATH_LENGTH} characters`,
    );
  }
  if (name.includes('\\') || path.posix.isAbsolute(name)) {
    throw new Error(`unsafe file name "${printable(name)}": must be a relative POSIX path`);
  }
  const segments = name.split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..' || !SEGMENT.test(segment)) {
      throw new Error(`unsafe file name "${printable(name)}"`);
    }
  }
  return segments.join('/');
}

function printable(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 80);
}
