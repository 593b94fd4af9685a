import { EXIT } from './errors.ts';

const cleanups = new Set<() => void>();
let installed = false;

/**
 * Runs `cleanup` if the process is interrupted (Ctrl-C, SIGTERM) before the returned
 * function is called; the process then exits with 130.
 */
export function onInterrupt(cleanup: () => void): () => void {
  if (!installed) {
    installed = true;
    const handler = (): void => {
      for (const fn of [...cleanups].reverse()) {
        try {
          fn();
        } catch {
          // keep going: the process is leaving
        }
      }
      process.exit(EXIT.INTERRUPTED);
    };
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
  }
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}
