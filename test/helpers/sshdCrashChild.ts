/** Starts SSH test hosts, prints their temp dir, then waits to be killed (crash-leftover test). */
import { startSshHosts } from './sshd';

startSshHosts({ loopback: true, netnsHosts: 1 })
  .then((env) => {
    process.stdout.write(`READY ${env.dir}\n`);
    setInterval(() => undefined, 60_000);
  })
  .catch((err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
