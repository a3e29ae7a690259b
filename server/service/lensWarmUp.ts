/**
 * The cost lens's warm-up: the lens and the parse and validation it sits on, run over a small
 * built-in sample of task shapes while the server is idle, so V8 has compiled and optimized the
 * lens path (with type feedback from every branch: GPUs priced with and apart from the host,
 * TPUs, accelerator sets, any_of / ordered, CPU and memory requests, instance types, region and
 * zone pins, spot, services, Kubernetes, SSH, local) before a user's edit needs it. Without it
 * the first lenses of a session pay for the optimizing compiler, which works beside them.
 *
 * Nothing of it reaches the server's own state: each sample is parsed into a state of its own
 * (never the document cache) and priced through scratch insights (a memo of their own, a fixed
 * infra list, no live availability). Only answer-neutral caches of the immutable catalog are
 * filled (each instance type's cheapest rows, built on first use whoever asks first).
 */
import type { InfraState, Insights } from '../../engine/optimizer/insightTypes';
import { parseDocument } from './documentState';
import { taskCostLenses } from './costLens';

/**
 * Which infra the scratch insights say is set up: some catalog clouds set up and some not, a
 * Kubernetes context and an SSH pool, so both the priced and the "set up" lenses run.
 */
export const WARM_UP_INFRA: InfraState[] = [
  { infra: 'local', enabled: true, reason: 'This machine.' },
  { infra: 'gcp', enabled: true, reason: 'Warm-up sample.' },
  { infra: 'aws', enabled: false, reason: 'Warm-up sample.' },
  { infra: 'azure', enabled: false, reason: 'Warm-up sample.' },
  { infra: 'k8s/warm-up', enabled: true, reason: 'Warm-up sample.' },
  { infra: 'ssh', enabled: false, reason: 'Warm-up sample.' },
];

let samples: readonly string[] | undefined;

/**
 * Task shapes that, between them, take every branch of the lens path (engine/catalog/query.ts
 * cheapestOffers). Built on first use: nothing of the warm-up runs while the server starts.
 */
export function warmUpSamples(): readonly string[] {
  return (samples ??= [
    'resources:\n  accelerators: A100:8\nrun: x\n',
    'num_nodes: 2\nresources:\n  accelerators: H100:8\n  disk_tier: best\n  disk_size: 1024\nrun: x\n',
    'resources:\n  accelerators: T4:1\n  use_spot: true\nrun: x\n',
    'resources:\n  accelerators: L4:1\n  infra: gcp/us-east4\nrun: x\n',
    'resources:\n  accelerators: V100:4\n  cpus: 8+\nrun: x\n',
    'resources:\n  accelerators: tpu-v4-8\nrun: x\n',
    'resources:\n  accelerators: {L4:1, A10g:1, A10:1, A100:1, A100-80GB:1}\nrun: x\n',
    'resources:\n  accelerators: {H100:8, H200:8}\n  infra: aws\nrun: x\n',
    'resources:\n  cpus: 4+\n  memory: 32+\nrun: x\n',
    'resources:\n  cpus: 2\n  infra: azure/eastus\nrun: x\n',
    'resources:\n  cpus: 8+\n  infra: gcp/us-central1/us-central1-a\n  use_spot: true\nrun: x\n',
    'resources:\n  memory: 4x\nrun: x\n',
    'resources:\n  instance_type: n2-standard-8\nrun: x\n',
    'resources:\n  instance_type: a2-highgpu-1g\n  infra: gcp/us-central1\nrun: x\n',
    'resources:\n  instance_type: Standard_NC24ads_A100_v4\n  disk_tier: medium\nrun: x\n',
    'resources:\n  instance_type: p4d.24xlarge\n  infra: aws\nrun: x\n',
    'resources:\n  image_id: docker:nvcr.io/nvidia/pytorch:24.07-py3\n  accelerators: A10G:1\n  ports: 8080\nrun: x\n',
    'resources:\n  accelerators: A100:1\n  max_hourly_cost: 1.5\nrun: x\n',
    'resources:\n  accelerators: A100:8\n  any_of:\n    - infra: gcp\n    - infra: aws\n      use_spot: true\n    - infra: azure/eastus\nrun: x\n',
    'resources:\n  ordered:\n    - accelerators: H100:1\n      infra: gcp/us-central1\n    - accelerators: A100-80GB:1\n    - cpus: 16+\nrun: x\n',
    'resources:\n  accelerators: H100:1\n  infra: k8s\nrun: x\n',
    'resources:\n  accelerators: H100:1\n  infra: k8s/warm-up\nrun: x\n',
    'resources:\n  infra: ssh/pool\nrun: x\n',
    'resources:\n  infra: local\nrun: x\n',
    'resources:\n  accelerators: NoSuchGpu:1\nrun: x\n',
    'service:\n  readiness_probe: /\n  replicas: 2\nresources:\n  accelerators: L4:1\n  ports: 8080\nrun: x\n',
    'service:\n  readiness_probe: /\n  replica_policy:\n    min_replicas: 1\n    max_replicas: 3\nresources:\n  accelerators: {A10G:1, L4:1}\n  use_spot: true\n  ports: 8080\nrun: x\n',
    'resources:\n  accelerators: V100:1\n  infra: aws/us-east-1\nrun: x\n',
    'resources:\n  accelerators: T4:1\n  infra: gcp/us-central1/us-central1-a\nrun: x\n',
    'resources:\n  accelerators: T4:1\n  infra: azure/eastus\n  use_spot: true\nrun: x\n',
    'resources:\n  accelerators: tpu-v2-8\n  infra: gcp/us-central1\nrun: x\n',
    'resources:\n  cpus: 32+\n  memory: 1000+\n  infra: aws\nrun: x\n',
    // The other keys a resources block carries, so the lens path sees the object shapes they make.
    'num_nodes: 2\nresources:\n  accelerators: H100:8\n  cpus: 100+\n  memory: 1000+\n  network_tier: best\n  disk_size: 1024\nrun: x\n',
    'resources:\n  cloud: kubernetes\n  image_id: docker:rocm/pytorch-training:v25.6\n  accelerators: MI300X:8\nrun: x\n',
    'resources:\n  cloud: gcp\n  region: us-central1\n  accelerators: V100\nrun: x\n',
    'resources:\n  gpus: A100:1\n  autostop:\n    idle_minutes: 10\n  image_id: docker:nvcr.io/nvidia/pytorch:25.02-py3\nrun: x\n',
    'resources:\n  accelerators: tpu-v2-8\n  accelerator_args:\n    runtime_version: 2.12.0\n    tpu_vm: False\nrun: x\n',
    'resources:\n  accelerators: [A100:1, V100:1]\n  ports:\n    - 8000\n    - 8001\n  disk_size: 256\nrun: x\n',
    'resources:\n  accelerators: L4:1\n  job_recovery: FAILOVER\n  ports: 8000\nrun: x\n',
    'resources:\n  image_id: docker:vllm/vllm-openai:latest\n  ports: 8081\n  any_of:\n    - cpus: 4+\n      memory: 16+\n    - accelerators: A10G:1\n      infra: aws/us-west-2\nrun: x\n',
    'resources:\n  infra: aws/us-east-1/use1-az1\n  accelerators: A10G:1\n  disk_tier: high\nrun: x\n',
    'resources:\n  infra: azure\n  cpus: 16\n  memory: 64\n  disk_tier: low\nrun: x\n',
    'resources:\n  infra: aws\n  accelerators: T4:1\n  image_id:\n    us-east-1: skypilot:gpu-ubuntu-2004\n    us-west-2: skypilot:gpu-ubuntu-2004\nrun: x\n',
    'resources:\n  infra: gcp\nrun: x\n',
    'resources:\n  infra: azure\n  image_id: docker:ubuntu:22.04\n  ports: [8080, 8081]\nrun: x\n',
    // Whole documents as users write them, for the parser and validation the lens sits on: block
    // scalars, comments, envs, secrets, file mounts, services, a config block, and the forms only
    // the general YAML parser reads (folded scalars, anchors, multi-line plain scalars).
    [
      '# Fine-tune a model on one node.',
      'name: finetune',
      '',
      'resources:',
      '  accelerators: {L4:1, A10G:1, A10:1, A100:1, A100-80GB:1}  # any of these',
      '  disk_size: 512  # checkpoints',
      '  disk_tier: best',
      '  ports: 8080',
      '',
      'num_nodes: 1',
      'workdir: .',
      '',
      'envs:',
      '  MODEL_NAME: meta-llama/Llama-3.1-8B-Instruct',
      '  MAX_STEPS: 1000',
      '  LEARNING_RATE: 2.0e-5',
      '  USE_LORA: true',
      '  OUTPUT_DIR: "/outputs/run-1"',
      "  WANDB_PROJECT: 'finetune'",
      'secrets:',
      '  HF_TOKEN: null',
      '  WANDB_API_KEY: null',
      '',
      'file_mounts:',
      '  /data: s3://my-datasets/train',
      '  /outputs:',
      '    name: my-checkpoints',
      '    store: gcs',
      '    mode: MOUNT_CACHED',
      '  /configs: ./configs',
      '',
      'setup: |',
      '  set -e',
      '  conda create -n ft python=3.10 -y || true',
      '  conda activate ft',
      '  pip install "torch==2.4.0" transformers datasets peft wandb',
      '  # download weights once',
      '  huggingface-cli download $MODEL_NAME --local-dir /tmp/model',
      '',
      'run: |',
      '  conda activate ft',
      '  torchrun --nnodes=$SKYPILOT_NUM_NODES --nproc-per-node=$SKYPILOT_NUM_GPUS_PER_NODE \\',
      '    --master-addr=$(echo "$SKYPILOT_NODE_IPS" | head -n1) \\',
      '    train.py --model /tmp/model --steps $MAX_STEPS --lr $LEARNING_RATE \\',
      '    --output $OUTPUT_DIR --lora $USE_LORA',
      '',
    ].join('\n'),
    [
      'service:',
      '  readiness_probe:',
      '    path: /v1/models',
      '    initial_delay_seconds: 1200',
      '    post_data: {"model": "m", "max_tokens": 1}',
      '  replica_policy:',
      '    min_replicas: 2',
      '    max_replicas: 8',
      '    target_qps_per_replica: 2.5',
      '    upscale_delay_seconds: 300',
      '  load_balancing_policy: least_load',
      '',
      'resources:',
      '  accelerators: {H100:8, H200:8}',
      '  ports: 8081  # the endpoint',
      '  use_spot: true',
      '  image_id: docker:vllm/vllm-openai:latest',
      '  any_of:',
      '    - infra: gcp',
      '    - infra: aws',
      '      disk_tier: high',
      '',
      'envs:',
      '  MODEL: deepseek-ai/DeepSeek-R1',
      '  TP: 8',
      '',
      'run: |',
      '  vllm serve $MODEL --tensor-parallel-size $TP --port 8081 \\',
      '    --max-model-len 32768 --trust-remote-code',
      '',
    ].join('\n'),
    [
      'name: multinode',
      'num_nodes: 4',
      'resources:',
      '  ordered:',
      '    - accelerators: H100:8',
      '      infra: aws/us-east-1',
      '    - accelerators: A100-80GB:8',
      '      infra: gcp/us-central1',
      '      use_spot: false',
      '  job_recovery:',
      '    strategy: FAILOVER',
      '    max_restarts_on_errors: 3',
      'config:',
      '  kubernetes:',
      '    pod_config:',
      '      spec:',
      '        containers:',
      '          - resources:',
      '              limits:',
      '                memory: 64Gi',
      'setup: >',
      '  pip install -r requirements.txt',
      '  && echo done',
      'run: &run |',
      '  echo $SKYPILOT_NODE_RANK',
      '  python dist.py',
      'envs:',
      '  DESCRIPTION: a plain scalar',
      '    that goes on',
      '',
      '---',
      'name: eval',
      'resources:',
      '  cpus: 8+',
      '  memory: 32+',
      'run: python eval.py',
      '',
    ].join('\n'),
  ]);
}

/**
 * How many times the samples are run. Measured (bench/catalog `lens-probe`, `%GetOptimizationStatus`,
 * and `--trace-opt` over the corpus pass after the warm-up): the functions that price a site
 * (cheapestOffers, cheapestForSpec, the insights' specCost, the sites and lens builders) are
 * optimized only after 70 or so rounds, since they run once per site; a shorter warm-up moved
 * their compilation into the user's first lenses instead of removing it.
 */
export const WARM_UP_ROUNDS = 80;

const URI = 'file:///skydeck-warm-up/task.yaml';

/**
 * The warm-up as steps, one sample each: `step()` parses one sample and builds its lenses, and
 * says whether steps remain. `scratch` makes insights over the server's catalog that share no
 * memo with the server's own (one per round, so each round prices every sample anew, as a fresh
 * document does).
 */
export class LensWarmUp {
  private next = 0;
  private insights: Insights | undefined;

  constructor(
    private readonly scratch: (infra: InfraState[]) => Insights,
    private readonly rounds = WARM_UP_ROUNDS,
  ) {}

  get done(): boolean {
    return this.next >= this.rounds * warmUpSamples().length;
  }

  step(): boolean {
    if (this.done) return false;
    const all = warmUpSamples();
    const i = this.next % all.length;
    if (i === 0 || !this.insights) this.insights = this.scratch(WARM_UP_INFRA);
    const text = all[i];
    const st = parseDocument({ uri: URI, version: this.next, getText: () => text }, text, {});
    taskCostLenses(st, this.insights);
    this.next++;
    return !this.done;
  }
}
