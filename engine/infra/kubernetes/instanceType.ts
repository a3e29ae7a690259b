/**
 * Kubernetes "instance types" are synthetic: `{cpus}CPU--{mem}GB[--{GPU}:{n}]`
 * (e.g. `4CPU--16GB--H100:1`), the shape SkyPilot and the optimizer (podInstanceType) use.
 */
import { InputError } from '../../errors';

export interface PodShape {
  cpus: number;
  memoryGb: number;
  accelerator?: { name: string; count: number };
}

const PATTERN = /^(\d+(?:\.\d+)?)CPU--(\d+(?:\.\d+)?)GB(?:--([\w\d.-]+):(\d+))?$/;

export function parseInstanceType(text: string): PodShape {
  const m = PATTERN.exec(text.trim());
  if (!m) {
    throw new InputError(`'${text}' is not a Kubernetes instance type.`, { hint: "Kubernetes instance types look like '4CPU--16GB' or '4CPU--16GB--H100:1'." });
  }
  const shape: PodShape = { cpus: Number(m[1]), memoryGb: Number(m[2]) };
  if (m[3]) shape.accelerator = { name: m[3], count: Number(m[4]) };
  return shape;
}

export function formatInstanceType(shape: PodShape): string {
  return `${shape.cpus}CPU--${shape.memoryGb}GB${shape.accelerator ? `--${shape.accelerator.name}:${shape.accelerator.count}` : ''}`;
}
