/**
 * What the cluster engine needs from the on-node agent (engine/node's AgentClient):
 * a job queue on the head node whose jobs start one process per rank with the launcher
 * argv the engine gives (the head runs them: locally for `local` nodes, over ssh to
 * workers for SSH pools), logs per job, cancel, and idle detection for autostop.
 */
import type { ClusterJob, ClusterJobStatus } from './types';

export interface RankLaunch {
  rank: number;
  /** Name used for the rank's log: 'head' or 'worker<i>'. */
  label: string;
  /** argv the head node runs to start this rank (env and script included). */
  argv: string[];
}

export interface AgentJobSpec {
  name?: string;
  user: string;
  resources: string;
  ranks: RankLaunch[];
}

export interface AutostopSetting {
  idleMinutes: number;
  down: boolean;
  /** argv the agent runs (detached) on the head when idle past the limit; unset: only report. */
  hook?: string[];
}

export interface IdleState {
  idleSeconds: number;
  autostop?: { idleMinutes: number; down: boolean };
}

export interface NodeAgent {
  install(): Promise<void>;
  ping(): Promise<boolean>;
  submit(spec: AgentJobSpec): Promise<number>;
  queue(): Promise<ClusterJob[]>;
  cancel(ids: number[] | 'all'): Promise<number[]>;
  tail(id: number | undefined, options: { follow: boolean; onData: (chunk: string) => void; signal?: AbortSignal }): Promise<ClusterJobStatus | undefined>;
  setAutostop(setting: AutostopSetting | undefined): Promise<void>;
  idleState(): Promise<IdleState>;
}
