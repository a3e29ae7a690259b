/**
 * `image_id: docker:<image>` in the editor: a hover that says where the container will run
 * and how (per the task's infra, as engine/cluster/containers.ts runs it), and a warning
 * when the task is pinned to `local` and this machine has no Docker to run it with.
 * SSH pool hosts and cloud VMs are not looked at from the editor: the launch reports a
 * node without Docker, naming what to install.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic, Hover } from 'vscode-languageserver-types';
import { DiagnosticSeverity, MarkupKind } from 'vscode-languageserver-types';
import type { ValidationResult } from '../../engine/task/validate';
import { entryOf, type VMap, type VNode } from '../../engine/task/yamlTree';

interface ImageSite {
  image: string;
  node: VNode;
  /** The cloud the task pins (`infra: aws/...`, `cloud: gcp`), lower case; undefined when not pinned. */
  cloud?: string;
  numNodes: number;
}

function scalarString(node: VNode | undefined): string | undefined {
  return node?.kind === 'scalar' && typeof node.value === 'string' ? node.value : undefined;
}

function cloudOf(resources: VMap): string | undefined {
  const infra = scalarString(entryOf(resources, 'infra')?.value) ?? scalarString(entryOf(resources, 'cloud')?.value);
  if (!infra) return undefined;
  const cloud = infra.split('/')[0].toLowerCase();
  return cloud === 'k8s' ? 'kubernetes' : cloud === '*' ? undefined : cloud;
}

/** The docker images of each task document's `resources` (a `docker:` string, or a map's `docker` key). */
function imageSites(analysis: ValidationResult): ImageSite[] {
  const out: ImageSite[] = [];
  for (const d of analysis.documents) {
    const resources = d.map && entryOf(d.map, 'resources')?.value;
    if (resources?.kind !== 'map') continue;
    const imageNode = entryOf(resources, 'image_id')?.value;
    const nodesValue = d.map && entryOf(d.map, 'num_nodes')?.value;
    const numNodes = nodesValue?.kind === 'scalar' && typeof nodesValue.value === 'number' ? nodesValue.value : 1;
    const site = (image: string, node: VNode) => out.push({ image, node, cloud: cloudOf(resources), numNodes });
    const direct = scalarString(imageNode);
    if (direct?.startsWith('docker:') && imageNode) site(direct.slice('docker:'.length), imageNode);
    if (imageNode?.kind === 'map') {
      const docker = entryOf(imageNode, 'docker')?.value;
      const name = scalarString(docker);
      if (name && docker) site(name.replace(/^docker:/, ''), docker);
    }
  }
  return out;
}

/** How the image runs on `cloud` (markdown). */
function whereItRuns(image: string, cloud: string | undefined, numNodes: number): string {
  const container =
    '`docker run --network host` with a large `/dev/shm`, GPUs passed through (`--gpus all`) where the node has them; setup, run, `exec`, logs and `ssh` happen inside, with the workdir and file mounts at the same paths';
  const lines: string[] = [`**Container image** \`${image}\``];
  switch (cloud) {
    case 'kubernetes':
      lines.push('Runs as the image of each pod (Kubernetes pulls it).');
      break;
    case 'local':
      lines.push(`Runs in one Docker container per node on this machine: ${container}. Needs Docker here.`);
      break;
    case 'ssh':
      lines.push(`Runs in one Docker container on each SSH pool host: ${container}. Needs Docker on the hosts.`);
      break;
    case 'aws':
    case 'gcp':
    case 'azure':
      lines.push(`Runs in one Docker container on each VM (SkyPilot's VM image, which has Docker): ${container}.`);
      break;
    default:
      lines.push(`On Kubernetes, the pods' image; on local, SSH node pools and the VM clouds, one Docker container per node: ${container}.`);
  }
  lines.push(
    'A private registry needs `SKYPILOT_DOCKER_USERNAME`, `SKYPILOT_DOCKER_PASSWORD` and `SKYPILOT_DOCKER_SERVER` (envs or secrets): SkyDeck logs in before the pull, the password on stdin only.',
  );
  if (numNodes > 1 && cloud !== 'kubernetes')
    lines.push(
      `With ${numNodes} nodes, every rank runs in its node's container; \`SKYPILOT_NODE_IPS\` lists the nodes' addresses (the containers use the host network).`,
    );
  return lines.join('\n\n');
}

/** The hover for a `docker:` image under the cursor (offset), undefined elsewhere. */
export function containerImageHover(analysis: ValidationResult, offset: number): Hover | undefined {
  const site = imageSites(analysis).find((s) => s.node.start <= offset && offset <= s.node.end);
  if (!site) return undefined;
  return {
    contents: { kind: MarkupKind.Markdown, value: whereItRuns(site.image, site.cloud, site.numNodes) },
    range: analysis.textMap.range(site.node.start, site.node.end),
  };
}

let dockerOnPath: { path: string | undefined; found: boolean } | undefined;

/** Whether a `docker` client is on this machine's PATH (cached per PATH). */
function hasDocker(): boolean {
  const cached = dockerOnPath;
  if (cached && cached.path === process.env.PATH) return cached.found;
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const found = dirs.some((d) => fs.existsSync(path.join(d, 'docker')));
  dockerOnPath = { path: process.env.PATH, found };
  return found;
}

/** A warning on each `docker:` image of a task pinned to `local` when this machine has no Docker. */
export function containerImageDiagnostics(analysis: ValidationResult): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const s of imageSites(analysis)) {
    if (s.cloud !== 'local' || hasDocker()) continue;
    out.push({
      range: analysis.textMap.range(s.node.start, s.node.end),
      severity: DiagnosticSeverity.Warning,
      code: 'no-container-runtime',
      source: 'skydeck',
      message: `docker:${s.image} runs in a Docker container on local nodes, and this machine has no Docker: install Docker Engine (Debian/Ubuntu: sudo apt-get install docker.io), or remove the image.`,
    });
  }
  return out;
}
