import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentClient } from '../../../engine/node/agentClient';
import type { ExecOptions, ExecResult, Transport } from '../../../engine/node/transport';

/**
 * A node whose job log is `log` (bytes) and whose job has `status`: the agent's
 * `tail ID OFFSET 0` answered as agent.sh does (the bytes from OFFSET, the status on stderr).
 */
function node(log: Buffer, status: string): Transport & { offsets: number[] } {
  const offsets: number[] = [];
  return {
    description: 'fake node',
    offsets,
    async exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
      const t = argv.indexOf('tail');
      const offset = Number(argv[t + 2]);
      offsets.push(offset);
      const rest = log.subarray(offset);
      // Delivered in two pieces cut inside a character, as a pipe may.
      options.onStdout?.(rest.subarray(0, 1));
      if (rest.length > 1) options.onStdout?.(rest.subarray(1));
      return { exitCode: 0, stdout: '', stderr: `status=${status} exit=- size=${log.length}\n` };
    },
    putFile: async () => undefined,
    putDir: async () => undefined,
    close: async () => undefined,
  };
}

test("reads from an offset of a running job's log stop before a character cut at the end, so the next read gets it whole", async () => {
  const full = Buffer.from('a é\n✓ 🚀\n', 'utf8');
  // The job has written up to the middle of the rocket so far.
  const cut = full.length - 3;
  let received = '';
  let offset = 0;
  const read = async (log: Buffer, status: string) => {
    const transport = node(log, status);
    const st = await new AgentClient(transport).tail(1, {
      follow: false,
      offset,
      onData: (c) => {
        received += c;
        offset += Buffer.byteLength(c, 'utf8');
      },
    });
    return st;
  };
  assert.equal(await read(full.subarray(0, cut), 'RUNNING'), 'RUNNING');
  assert.equal(received, 'a é\n✓ ', 'nothing of the cut character yet (no replacement character)');
  assert.equal(offset, Buffer.byteLength('a é\n✓ ', 'utf8'));
  assert.equal(await read(full, 'SUCCEEDED'), 'SUCCEEDED');
  assert.equal(Buffer.from(received, 'utf8').equals(full), true, 'byte-identical once read on from the offset');
});

test('without an offset (a one-off read) the cut character is shown as it is, as before', async () => {
  let received = '';
  await new AgentClient(node(Buffer.from('ok ✓', 'utf8').subarray(0, 4), 'RUNNING')).tail(1, { follow: false, onData: (c) => (received += c) });
  assert.equal(received, 'ok \uFFFD');
});
