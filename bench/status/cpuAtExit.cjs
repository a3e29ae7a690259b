// Preloaded into every timed process (`node --require`): at exit, appends the process's own
// CPU time (user + system, ms) to the file named by SKYDECK_BENCH_CPU_FILE. CPU time is what a
// command costs; wall time on a loaded shared machine is mostly waiting for a core.
'use strict';
const fs = require('node:fs');
process.on('exit', () => {
  const u = process.cpuUsage();
  fs.appendFileSync(process.env.SKYDECK_BENCH_CPU_FILE, `${(u.user + u.system) / 1000}\n`);
});
