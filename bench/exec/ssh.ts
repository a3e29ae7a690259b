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
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
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

/** A TCP proxy to host:port that delays every chunk by `oneWayMs` in each direction, in order. */
function delayProxy(host: string, port: number, oneWayMs: number): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<net.Socket>();
  // One FIFO queue per direction drained by one timer, so chunks never overtake each other.
  const delayed = (from: net.Socket, to: net.Socket): void => {
    const queue: { at: number; chunk: Buffer | null }[] = [];
    let timer: NodeJS.Timeout | undefined;
    const drain = (): void => {
      timer = undefined;
      while (queue.length && queue[0].at <= Date.now()) {
        const { chunk } = queue.shift()!;
        if (chunk === null) to.end();
        else if (to.writable) to.write(chunk);
      }
      if (queue.length) timer = setTimeout(drain, queue[0].at - Date.now());
    };
    const push = (chunk: Buffer | null): void => {
      queue.push({ at: Date.now() + oneWayMs, chunk });
      timer ??= setTimeout(drain, oneWayMs);
    };
    from.on('data', (c: Buffer) => push(c));
    from.on('end', () => push(null));
    from.on('error', () => to.destroy());
  };
  const server = net.createServer((client) => {
    const upstream = net.connect({ host, port });
    sockets.add(client).add(upstream);
    delayed(client, upstream);
    delayed(upstream, client);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      }),
    ),
  );
}

async function main(): Promise<void> {
  const reason = sshSkipReason();
  if (reason) {
    console.log(`skipped: ${reason}`);
    return;
  }
  const env = await startSshHosts({ loopback: true });
  const h = env.hosts[0];
  const t = new SshTransport({ host: h.host, port: h.port, user: h.user, keyPath: h.keyPath, hostKey: 'accept-any' });
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

    // putDir: one tar stream vs SFTP file by file (8 in flight), 400 small files in 20 dirs,
    // directly on loopback and through a proxy adding 10 ms each way (a 20 ms RTT network).
    const src = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-bench-putdir-'));
    for (let d = 0; d < 20; d++) {
      fs.mkdirSync(path.join(src, `d${d}`));
      for (let f = 0; f < 20; f++) fs.writeFileSync(path.join(src, `d${d}`, `f${f}.py`), `print(${d * 100 + f})\n`.repeat(50));
    }
    const proxy = await delayProxy(h.host, h.port, 10);
    try {
      for (const [label, port] of [
        ['loopback', h.port],
        ['20 ms RTT', proxy.port],
      ] as const) {
        const viaTar = new SshTransport({ host: h.host, port, user: h.user, keyPath: h.keyPath, hostKey: 'accept-any' });
        const viaSftp = new SshTransport({ host: h.host, port, user: h.user, keyPath: h.keyPath, hostKey: 'accept-any', putDirMethod: 'sftp' });
        await viaTar.exec(['true']);
        await viaSftp.exec(['true']);
        const tarMs: number[] = [];
        const sftpMs: number[] = [];
        for (let i = 0; i < 3; i++) {
          tarMs.push((await time(() => viaTar.putDir(src, `~/bench_tar_${i}`)))[0]);
          sftpMs.push((await time(() => viaSftp.putDir(src, `~/bench_sftp_${i}`)))[0]);
        }
        await viaTar.close();
        await viaSftp.close();
        console.log(
          `  putDir 400 files, ${label.padEnd(9)} tar stream: ${fmt(tarMs)}; SFTP: ${fmt(sftpMs)}  (SFTP/tar: ${(median(sftpMs) / median(tarMs)).toFixed(1)}x)`,
        );
      }
    } finally {
      proxy.close();
      fs.rmSync(src, { recursive: true, force: true });
    }
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
