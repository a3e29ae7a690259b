/**
 * A client process for the "client killed mid-job" fault test: submits a job over SSH,
 * prints `SUBMITTED <id>`, then follows its log to stdout until killed.
 * Input (env): SKYDECK_T_HOST, SKYDECK_T_PORT, SKYDECK_T_USER, SKYDECK_T_KEY, SKYDECK_T_RUN.
 */
import { AgentClient, HEAD_LAUNCHER } from '../../engine/node/agentClient';
import { SshTransport } from '../../engine/node/ssh';

async function main(): Promise<void> {
  const e = process.env;
  const host = e.SKYDECK_T_HOST as string;
  const t = new SshTransport({ host, port: Number(e.SKYDECK_T_PORT), user: e.SKYDECK_T_USER as string, keyPath: e.SKYDECK_T_KEY, hostKey: 'accept-any' });
  const agent = new AgentClient(t);
  const id = await agent.submit({ name: 'survivor', run: e.SKYDECK_T_RUN as string, nodes: [{ ip: host, launcher: [...HEAD_LAUNCHER] }] });
  process.stdout.write(`SUBMITTED ${id}\n`);
  await agent.tail(id, { follow: true, onData: (s) => process.stdout.write(s) });
  await t.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
