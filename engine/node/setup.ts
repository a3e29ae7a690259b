/**
 * SkyPilot's launch-time setup: the task's `setup` script runs on every node in parallel,
 * straight over the transports (not through the job queue), with SKYPILOT_SETUP_* env vars.
 * Any non-zero exit fails the launch with the last lines of that node's output.
 */
import { SkyDeckError } from '../errors';
import { shellQuote } from './quote';
import type { Transport } from './transport';

export interface SetupNode {
  transport: Transport;
  /** Internal IP (listed in SKYPILOT_SETUP_NODE_IPS). */
  ip: string;
}

export interface SetupOptions {
  script: string;
  envs?: Record<string, string>;
  numGpusPerNode?: number;
  taskId?: string;
  clusterInfo?: { cluster_name: string; cloud: string; region?: string | null; zone?: string | null };
  user?: string;
  /** Directory to run in (absolute or relative to HOME); default HOME. */
  workdir?: string;
  /** Output of each node as it arrives (rank, text). */
  onOutput?: (rank: number, chunk: string) => void;
  signal?: AbortSignal;
}

export interface SetupResult {
  rank: number;
  exitCode: number;
  /** The last 10 lines of the node's output (stdout and stderr interleaved). */
  lastLines: string[];
}

/** Setup failed on at least one node (SkyPilot: "Failed to setup with return code N"). */
export class SetupFailedError extends SkyDeckError {
  constructor(readonly results: SetupResult[]) {
    const failed = results.filter((r) => r.exitCode !== 0);
    const first = failed[0];
    super(
      'SETUP_FAILED',
      `Failed to setup with return code ${first.exitCode} on ${failed.length === 1 ? `node rank ${first.rank}` : `${failed.length} nodes (ranks ${failed.map((f) => f.rank).join(', ')})`}. Last lines:\n${first.lastLines.join('\n')}`,
      { hint: 'Fix the `setup` section of the task and launch again (`--no-setup` skips it).' },
    );
  }
}

/** The script one node runs: exports, then `cd`, then the user's setup. */
function setupPayload(rank: number, ips: string[], options: SetupOptions): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(options.envs ?? {})) lines.push(`export ${k}=${shellQuote(v)}`);
  const vars: Record<string, string> = {
    SKYPILOT_SETUP_NODE_RANK: String(rank),
    SKYPILOT_SETUP_NODE_IPS: ips.join('\n'),
    SKYPILOT_SETUP_NUM_GPUS_PER_NODE: String(Math.ceil(options.numGpusPerNode ?? 0)),
    SKYPILOT_NUM_NODES: String(ips.length),
  };
  if (options.taskId) vars.SKYPILOT_TASK_ID = options.taskId;
  if (options.clusterInfo) vars.SKYPILOT_CLUSTER_INFO = JSON.stringify(options.clusterInfo);
  if (options.user) vars.SKYPILOT_USER = options.user;
  for (const [k, v] of Object.entries(vars)) lines.push(`export ${k}=${shellQuote(v)}`);
  lines.push('unset CUDA_VISIBLE_DEVICES');
  lines.push(
    options.workdir ? `cd ${shellQuote(options.workdir)} 2>/dev/null || cd "$HOME"/${shellQuote(options.workdir)} 2>/dev/null || cd "$HOME"` : 'cd "$HOME"',
  );
  lines.push(options.script);
  return lines.join('\n') + '\n';
}

/** Runs `setup` on all nodes in parallel; resolves with each node's result, rejects with SetupFailedError. */
export async function runSetup(nodes: SetupNode[], options: SetupOptions): Promise<SetupResult[]> {
  const ips = nodes.map((n) => n.ip);
  // The script goes to a temp file first, so the setup's own commands get no stdin of ours.
  const runner = 'f=$(mktemp "${TMPDIR:-/tmp}/sky_setup_XXXXXXXX") || exit 90; cat > "$f"; bash "$f" </dev/null 2>&1; rc=$?; rm -f "$f"; exit $rc';
  const results = await Promise.all(
    nodes.map(async (node, rank): Promise<SetupResult> => {
      let tail = '';
      const keep = (s: string): void => {
        tail = (tail + s).slice(-8192);
        options.onOutput?.(rank, s);
      };
      const r = await node.transport.exec(['bash', '-c', runner], {
        stdin: setupPayload(rank, ips, options),
        signal: options.signal,
        onStdout: (c) => keep(c.toString()),
        onStderr: (c) => keep(c.toString()),
      });
      const lastLines = tail.replace(/\n$/, '').split('\n').slice(-10);
      return { rank, exitCode: r.exitCode, lastLines };
    }),
  );
  if (results.some((r) => r.exitCode !== 0)) throw new SetupFailedError(results);
  return results;
}
