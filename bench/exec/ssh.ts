/**
 * Exec-to-running latency on a warm SSH connection vs a plain `ssh host true`, against a real
 * sshd on loopback (test/helpers/sshd.ts; needs root + openssh-server, see
 * scripts/setup/10-sshd.sh). Run: node --import tsx bench/exec/ssh.ts [ROUNDS]
 *
 * - baseline: `ssh -i KEY -p PORT root@127.0.0.1 true` (OpenSSH client, a new connection each time)
 * - warm exec: SshTransport.exec(['true']) on the pooled connection (one channel round-trip)
 * - exec-to-running: AgentClient.submit() on the warm connection; it returns once the agent has
 *   queued the job and started it (status RUNNING), verified after the timing
 * - exec-to-first-output: submit + following the log until the job's first byte arrives
 */
import { spawnSync } from 'node:child_process';
import { AgentClient, HEAD_LAUNCHER } from '../../engine/node/agentClient';
import { closeAllSshConnections, SshTransport } from '../../engine/node/ssh';
import { sshArgv, sshSkipReason, startSshHosts } from '../../test/helpers/sshd';

const rounds = Number(process.argv[2] ?? 15);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function fmt(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${median(xs).toFixed(1)} ms (min ${s[0].toFixed(1)}, max ${s[s.length - 1].toFixed(1)})`;
}

async function time<T>(fn: () => Promise<T> | T): Promise<[number, T]> {
  const t0 = process.hrtime.bigint();
  const v = await fn();
  return [Number(process.hrtime.bigint() - t0) / 1e6, v];
}

async function main(): Promise<void> {
  const reason = sshSkipReason();
  if (reason) {
    console.log(`skipped: ${reason}`);
    return;
  }
  const env = await startSshHosts({ loopback: true });
  const h = env.hosts[0];
  const t = new SshTransport({ host: h.host, port: h.port, user: h.user, keyPath: h.keyPath });
  const agent = new AgentClient(t);
  try {
    await agent.install();
    await agent.ensureDaemon();
    const spec = { name: 'bench', run: 'echo started', cpusPerNode: 0, nodes: [{ ip: h.host, launcher: [...HEAD_LAUNCHER] }] };
    // Warm up: connection, agent, page cache.
    for (let i = 0; i < 3; i++) await agent.submit(spec);
    const argv = sshArgv(h, 'true');

    // Interleave the measurements so load changes on the shared machine hit all alike.
    const plain: number[] = [];
    const warmExec: number[] = [];
    const toRunning: number[] = [];
    const toOutput: number[] = [];
    const notRunning: string[] = [];
    for (let i = 0; i < rounds; i++) {
      plain.push((await time(() => spawnSync(argv[0], argv.slice(1))))[0]);
      warmExec.push((await time(() => t.exec(['true'])))[0]);
      const [ms, id] = await time(() => agent.submit(spec));
      toRunning.push(ms);
      const st = (await agent.status(id))?.status;
      if (st !== 'RUNNING' && st !== 'SUCCEEDED') notRunning.push(`${id}:${st}`);
      const [ms2] = await time(async () => {
        const id2 = await agent.submit(spec);
        const ac = new AbortController();
        await agent.tail(id2, { follow: true, signal: ac.signal, onData: () => ac.abort() }).catch(() => undefined);
      });
      toOutput.push(ms2);
    }
    const base = median(plain);
    console.log(`SSH exec latency on loopback sshd (${rounds} rounds, ${new Date().toISOString()})`);
    console.log(`  plain \`ssh host true\` (baseline):  ${fmt(plain)}`);
    console.log(`  warm SshTransport.exec(true):       ${fmt(warmExec)}  ratio ${(median(warmExec) / base).toFixed(2)}x`);
    console.log(`  exec-to-running (agent submit):     ${fmt(toRunning)}  ratio ${(median(toRunning) / base).toFixed(2)}x  (target <= 2x)`);
    console.log(`  exec-to-first-output:               ${fmt(toOutput)}  ratio ${(median(toOutput) / base).toFixed(2)}x`);
    if (notRunning.length) console.log(`  WARNING: jobs not RUNNING after submit: ${notRunning.join(', ')}`);
    await agent.cancel('all');
    await agent.stopDaemon();
  } finally {
    await t.close();
    closeAllSshConnections();
    await env.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
