/**
 * Every `SKYDECK_*` environment variable, in one place, with what it changes and its default.
 * test/unit/environment.test.ts fails when the code reads a variable that is not listed here
 * (or this lists one nothing reads), so this table stays the truth.
 *
 * Audiences: `user` (worth setting in normal use), `tuning` (intervals and limits, mostly for
 * slow machines and tests), `test` (the test suite and benchmarks only), `internal` (set by
 * SkyDeck itself for the processes it starts; never set by hand).
 */
export type EnvAudience = 'user' | 'tuning' | 'test' | 'internal';

export interface EnvVar {
  audience: EnvAudience;
  /** What it changes. */
  doc: string;
  /** The value in force when it is unset. */
  default?: string;
}

export const SKYDECK_ENV: Record<string, EnvVar> = {
  // State, files and paths
  SKYDECK_HOME: { audience: 'user', doc: 'Where SkyDeck keeps state, logs, keys, catalogs and the generated ssh config.', default: '~/.skydeck' },
  SKYDECK_CATALOG_DIR: { audience: 'user', doc: "A folder in SkyPilot's catalog layout used instead of the cached hosted catalog and the bundled snapshot." },
  SKYDECK_SSH_NODE_POOLS: {
    audience: 'user',
    doc: "The SSH node pools file (SkyPilot's format).",
    default: 'SKYDECK_HOME/ssh_node_pools.yaml, else ~/.sky/ssh_node_pools.yaml',
  },
  SKYDECK_SSH_CONFIG: { audience: 'user', doc: "The user ssh config that gets the Include of SkyDeck's generated hosts.", default: '~/.ssh/config' },
  SKYDECK_DEBUG: { audience: 'user', doc: 'Print the stack trace of a failing CLI command.' },
  SKYDECK_CLI: { audience: 'internal', doc: 'The CLI script detached processes and autostop hooks run.', default: 'dist/cli.js of the package' },
  SKYDECK_AGENT_SCRIPT: {
    audience: 'internal',
    doc: 'The on-node agent script to install.',
    default: 'dist/agent.sh, or engine/node/agent/agent.sh from source',
  },
  SKYDECK_JOBS_CONTROLLER_SCRIPT: { audience: 'internal', doc: 'The managed-jobs controller script.', default: 'dist/jobs-controller.js' },
  SKYDECK_VERSION: { audience: 'internal', doc: 'The version the CLI and the language server report.', default: '0.1.0' },
  SKYDECK_CONFIG: { audience: 'internal', doc: 'The resolved SkyPilot config handed to controllers started by a command (engine/config/active.ts).' },

  // Clouds and catalogs
  SKYDECK_AWS_ENDPOINT: { audience: 'test', doc: 'EC2 endpoint override (moto in tests).' },
  SKYDECK_AWS_MAX_ATTEMPTS: { audience: 'tuning', doc: 'AWS SDK attempts per call.', default: '3' },
  SKYDECK_GCP_ENDPOINT: { audience: 'test', doc: 'Compute Engine endpoint override (the GCP fake in tests).' },
  SKYDECK_GCP_ACCESS_TOKEN: { audience: 'user', doc: 'A GCP bearer token (e.g. `gcloud auth print-access-token`) instead of application default credentials.' },
  SKYDECK_GCP_API_KEY: { audience: 'user', doc: 'Cloud Billing API key for `skydeck catalog refresh --cloud gcp`.', default: 'GOOGLE_API_KEY' },
  SKYDECK_AZURE_ENDPOINT: { audience: 'test', doc: 'Azure Resource Manager endpoint override (the Azure fake in tests).' },
  SKYDECK_AZURE_ACCESS_TOKEN: { audience: 'user', doc: 'An Azure bearer token instead of the Azure CLI or environment credentials.' },
  SKYDECK_AZURE_CA_FILE: { audience: 'test', doc: 'A CA certificate added to the well-known roots for the Azure clients only.' },
  SKYDECK_AZURE_IMDS_ENDPOINT: {
    audience: 'test',
    doc: "The instance metadata service an Azure node's autostop asks for its managed identity's token (the Azure fake in tests).",
    default: 'http://169.254.169.254',
  },
  SKYDECK_HOSTED_CATALOG_URL: { audience: 'user', doc: "Base URL of SkyPilot's hosted catalog (a mirror).", default: "SkyPilot's hosted catalog" },
  SKYDECK_CATALOG_AUTO_REFRESH: {
    audience: 'user',
    doc: 'Set to 0 (or false) to stop the background refresh of the hosted catalog, any other value to allow it.',
    default: 'on, off under tests and CI',
  },
  SKYDECK_CATALOG_INDEX_CACHE: { audience: 'tuning', doc: 'Binary index cache of parsed catalogs: 1 on, 0 off.', default: 'on, off under SKYDECK_TEST' },
  SKYDECK_CATALOG_WASM: {
    audience: 'test',
    doc: 'Set to 0 to parse catalogs with the JavaScript parser (benchmarks compare both).',
    default: 'WebAssembly parser',
  },

  // Provisioning and clusters
  SKYDECK_CLOUD_POLL_MS: { audience: 'tuning', doc: 'Interval between cloud API polls while provisioning.' },
  SKYDECK_SSH_WAIT_SECONDS: { audience: 'tuning', doc: 'Seconds to wait for SSH after a VM is running.', default: '600' },
  SKYDECK_SSH_CONNECT_TIMEOUT_MS: { audience: 'tuning', doc: 'SSH connect timeout to pool hosts (also how soon a dead host is noticed).', default: '5000' },
  SKYDECK_RETRY_GAP_SECONDS: { audience: 'tuning', doc: 'Gap between rounds of `launch --retry-until-up`.', default: '30' },
  SKYDECK_STORAGE_FLUSH_TIMEOUT_SECONDS: {
    audience: 'tuning',
    doc: 'How long `down` waits for MOUNT_CACHED writes to reach the bucket before refusing to tear the cluster down.',
    default: '600',
  },
  SKYDECK_CLUSTER_LOCK_WAIT_MS: { audience: 'tuning', doc: 'How long a command waits for another command holding the same cluster.', default: '1800000' },
  SKYDECK_TEST_ADDRESS_MAP: {
    audience: 'test',
    doc: 'JSON (or @file) mapping cloud instance addresses to loopback sshd hosts, so emulated VMs can be reached.',
  },
  SKYDECK_DOCKER_HOST: {
    audience: 'test',
    doc: "The Docker daemon (a DOCKER_HOST value) that the nodes' docker commands use for `docker:` images, e.g. the tests' own daemon socket.",
    default: "the nodes' default daemon",
  },
  SKYDECK_CONTAINER_CALL_SERVER: {
    audience: 'tuning',
    doc: "`0` turns off the call server inside a `docker:` task's container on `local` nodes: every agent call then enters the container (nsenter) as on other nodes.",
    default: 'on',
  },
  SKYDECK_LOCAL_PREEMPT_RATE: {
    audience: 'test',
    doc: 'On `local`, each status query preempts a running cluster with this probability (rehearsal).',
    default: '0',
  },
  SKYDECK_LOCAL_PREEMPT_SEED: { audience: 'test', doc: 'Seed of the rehearsal preemptions, to replay a run.' },
  SKYDECK_K8S_PORTS: { audience: 'user', doc: 'How Kubernetes exposes ports: podip, nodeport or loadbalancer.', default: 'kubernetes.ports, else podip' },
  SKYDECK_K8S_PROVISION_TIMEOUT: {
    audience: 'tuning',
    doc: 'Seconds a pod may stay unschedulable before failover.',
    default: 'kubernetes.provision_timeout, else 10',
  },
  SKYDECK_K8S_LAUNCH_TIMEOUT: { audience: 'tuning', doc: 'Seconds a Kubernetes launch may take.', default: '600' },
  SKYDECK_K8S_DELETE_TIMEOUT: { audience: 'tuning', doc: 'Seconds to wait for pods to go on down.', default: '120' },
  SKYDECK_K8S_API_TIMEOUT_MS: { audience: 'tuning', doc: 'Per-call timeout of the Kubernetes API in check and GPU availability.', default: '5000' },

  // The on-node agent and the processes SkyDeck starts on nodes
  SKYDECK_AGENT_TICK_MS: { audience: 'tuning', doc: "The agent's loop period.", default: '20000' },
  SKYDECK_AGENT_MINUTE_MS: { audience: 'test', doc: 'Length of one autostop minute (tests shorten it).', default: '60000' },
  SKYDECK_AGENT_KILL_GRACE_MS: { audience: 'tuning', doc: 'Grace between SIGTERM and SIGKILL when a job is cancelled.', default: '3000' },
  SKYDECK_NODE_DIR: { audience: 'internal', doc: "The agent's directory on a node.", default: '~/.skydeck_node' },
  SKYDECK_USER_UMASK: { audience: 'internal', doc: "The node user's umask, given back to job ranks (the agent itself writes private files)." },
  SKYDECK_AUTOSTOP_DOWN: { audience: 'internal', doc: "Tells the agent's autostop hook to tear down (1) rather than stop (0)." },
  SKYDECK_AUTOSTOP_FIRED: {
    audience: 'internal',
    doc: "The firing (ms) the agent's autostop hook acts for; the hook stands down once activity or a new autostop supersedes it.",
  },
  SKYDECK_LOCAL_NODE: { audience: 'internal', doc: 'Marks every process of a `local` node (its directory), so stop and down find them.' },
  SKYDECK_NODE_IP: { audience: 'internal', doc: "A `local` node's loopback address." },
  SKYDECK_NODE_RANK: { audience: 'internal', doc: "A Kubernetes pod's rank in its cluster." },
  SKYDECK_SSH_PUBLIC_KEY: { audience: 'internal', doc: 'The client key a Kubernetes pod adds to its authorized_keys at start.' },

  // Managed jobs
  SKYDECK_JOBS_PER_CONTROLLER: { audience: 'tuning', doc: 'Jobs one controller process runs.', default: '250' },
  SKYDECK_JOBS_LAUNCHES_PER_CONTROLLER: { audience: 'tuning', doc: 'Launches one controller runs at once.', default: '4' },
  SKYDECK_JOBS_POLL_MS: { audience: 'tuning', doc: "Interval of the cheap infra probe of every job's cluster (one call per provider).", default: '1000' },
  SKYDECK_JOBS_INSPECT_MS: { audience: 'tuning', doc: "Interval of asking the job's agent about the job.", default: '15000' },
  SKYDECK_JOBS_INSPECTIONS_PER_S: { audience: 'tuning', doc: 'Agent inspections one controller starts per second at most (most overdue first).', default: '2' },
  SKYDECK_JOBS_LOG_STREAMS: {
    audience: 'tuning',
    doc: 'Live log streams one controller holds (followed jobs first); the other running jobs have their output read at their inspection.',
    default: '16',
  },
  SKYDECK_JOBS_BACKOFF_MS: { audience: 'tuning', doc: 'First backoff between launch rounds (x1.6 each round).' },
  SKYDECK_JOBS_LAUNCH_ROUNDS: { audience: 'tuning', doc: 'Launch rounds before FAILED_NO_RESOURCE.' },
  SKYDECK_JOBS_DOWN_ATTEMPTS: { audience: 'tuning', doc: "Attempts to tear down a job's cluster.", default: '5' },
  SKYDECK_JOBS_UNKNOWN_GRACE_MS: { audience: 'tuning', doc: 'How long a job may be unreachable before it is treated as lost.', default: '30000' },
  SKYDECK_JOBS_CONTROLLER_NODE_FLAGS: {
    audience: 'tuning',
    doc: 'Node flags of controller processes (space-separated), replacing the small-process defaults.',
  },
  SKYDECK_JOBS_MEMLOG_MS: { audience: 'tuning', doc: 'A controller logs its memory use at this interval (diagnosis).', default: 'off' },

  // Serving
  SKYDECK_CONTROLLER: {
    audience: 'user',
    doc: "Where managed-job and serve controllers run: 'local' (this machine) or 'cluster' (a controller cluster); SkyDeck sets 'local' for the CLI on a controller node.",
    default: 'local for tasks on `local`, else a controller cluster (or jobs/serve.controller.consolidation_mode)',
  },
  SKYDECK_SERVE_ENDPOINT_HOST: {
    audience: 'internal',
    doc: "The host a service's endpoint names (the controller cluster's reachable address), when it differs from the load balancer's listen address.",
    default: 'SKYDECK_SERVE_LB_HOST',
  },
  SKYDECK_SERVE_LB_HOST: { audience: 'user', doc: 'Address the load balancer listens on (and advertises).', default: '127.0.0.1' },
  SKYDECK_SERVE_TICK_MS: { audience: 'tuning', doc: "The service controller's loop period.", default: '1000' },
  SKYDECK_SERVE_QPS_WINDOW_SECONDS: { audience: 'tuning', doc: "The autoscaler's request-rate window.", default: '60' },

  // The language server
  SKYDECK_NO_INSIGHTS: { audience: 'test', doc: 'Set to 1 to start the language server without catalog insights (no cost lenses).' },
  SKYDECK_STARTUP_PROBE: {
    audience: 'test',
    doc: 'The language server logs its CPU and wall time to its first diagnostics (bench/validate), and the cost of its lens warm-up once done.',
  },

  // Tests and their scripts
  SKYDECK_TEST: { audience: 'test', doc: 'Set by the test runner: test-friendly defaults (no index cache).' },
  SKYDECK_SKIP_SETUP: { audience: 'test', doc: 'Set to 1 to skip installing test prerequisites (npm run test:unit).' },
  SKYDECK_ALLOW_SKIPS: { audience: 'test', doc: 'Set to 1 to let integration tests skip when root, netns, sshd or moto are missing (otherwise they fail).' },
  SKYDECK_SHARED_DIR: { audience: 'test', doc: 'Where the reference material is.', default: '../shared beside the repo' },
  SKYDECK_TEST_CONCURRENCY: { audience: 'test', doc: 'Test files run at once.', default: 'one per core, at least 2' },
  SKYDECK_TEST_RUN_MINUTES: { audience: 'test', doc: 'The whole test run is stopped after this many minutes.', default: '40' },
  SKYDECK_TEST_TIMINGS: { audience: 'internal', doc: "Set by the test runner: the file each test file's process appends its wall time to." },
  SKYDECK_SOAK_SEED: { audience: 'test', doc: "Replays the managed-jobs soak test's preemptions." },
  SKYDECK_CHAOS_SEED: { audience: 'test', doc: 'Replays the killed-launch tests.' },
  SKYDECK_E2E_GREP: { audience: 'test', doc: 'Runs only the e2e tests whose title matches (a grep matching none fails).' },
  SKYDECK_E2E_KEEP: { audience: 'test', doc: "Keeps the e2e run's code-server folder for inspection." },
};

/** The audience of a variable, or undefined for one SkyDeck does not read (controllers forward `tuning` and `test` ones to their nodes). */
export function envAudience(name: string): EnvAudience | undefined {
  return Object.prototype.hasOwnProperty.call(SKYDECK_ENV, name) ? SKYDECK_ENV[name].audience : undefined;
}
