import { execFile } from 'node:child_process';

export interface GpuInfo {
  name: string;
  /** As nvidia-smi prints it, e.g. `40960 MiB`. */
  memory_total: string;
}

/** nvidia-smi gets this long to answer; a hung driver must not stall the worker. */
const PROBE_TIMEOUT_MS = 1_000;
/** GPUs do not come and go: probe again at most this often. */
const PROBE_TTL_MS = 60_000;

/**
 * The GPUs of this host, from `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader`.
 * No binary, a timeout or a failing driver all mean "no GPU" (an empty list).
 */
export function probeGpus(timeoutMs = PROBE_TIMEOUT_MS): Promise<GpuInfo[]> {
  return new Promise((resolve) => {
    execFile(
      'nvidia-smi',
      ['--query-gpu=name,memory.total', '--format=csv,noheader'],
      { timeout: timeoutMs, windowsHide: true },
      (error, stdout) => {
        if (error) {
          resolve([]);
          return;
        }
        resolve(
          stdout
            .split('\n')
            .map((line) => line.trim())
            .filter(Boolean)
            .map((line) => {
              const [name = '', memory = ''] = line.split(',').map((part) => part.trim());
              return { name, memory_total: memory };
            }),
        );
      },
    );
  });
}

/** `probeGpus`, cached for a minute. */
export function createGpuProbe(ttlMs = PROBE_TTL_MS, probe = probeGpus) {
  let cached: { at: number; gpus: Promise<GpuInfo[]> } | null = null;
  return (): Promise<GpuInfo[]> => {
    const now = Date.now();
    if (!cached || now - cached.at > ttlMs) cached = { at: now, gpus: probe() };
    return cached.gpus;
  };
}
