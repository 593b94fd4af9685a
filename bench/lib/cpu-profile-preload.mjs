// Preloaded into genq processes by bench/profile.ts (NODE_OPTIONS=--import …), since
// --cpu-prof is not allowed in NODE_OPTIONS: profiles the whole process with the inspector
// and on each SIGUSR2 writes <GENQ_CPU_PROFILE_DIR>/<pid>-<n>.cpuprofile and starts anew.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.GENQ_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable', () => {
    session.post('Profiler.setSamplingInterval', { interval: 1000 }, () => {
      session.post('Profiler.start');
    });
  });
  let n = 0;
  process.on('SIGUSR2', () => {
    n += 1;
    session.post('Profiler.stop', (error, result) => {
      if (!error) {
        writeFileSync(
          path.join(dir, `${process.pid}-${n}.cpuprofile`),
          JSON.stringify(result.profile),
        );
      }
      session.post('Profiler.start');
    });
  });
}
