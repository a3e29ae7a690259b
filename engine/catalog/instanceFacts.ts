/**
 * What the catalog says about one instance type (its accelerators, architecture, Azure
 * Hyper-V generation), read straight from the resolved `<cloud>/vms.csv` without building
 * the catalog index: the VM providers pick SkyPilot's image from these facts, as SkyPilot
 * does from its catalog, and they are separate bundles that must stay light.
 */
import * as fs from 'node:fs';
import { splitCsvLine } from './fetchers/writer';
import { firstExisting } from './locations';

export interface InstanceFacts {
  acceleratorName?: string;
  acceleratorCount?: number;
  /** AWS `Arch` (x86_64, arm64). */
  arch?: string;
  /** Azure `Generation` (V1, V2 or "V1,V2"). */
  generation?: string;
}

const cache = new Map<string, { key: string; facts: Map<string, InstanceFacts> }>();

/** Facts of the first catalog row of `instanceType`; undefined when the type (or the file) is not there. */
export function instanceFacts(cloud: string, instanceType: string): InstanceFacts | undefined {
  const file = firstExisting(`${cloud}/vms.csv`);
  if (!file) return undefined;
  const st = fs.statSync(file.path);
  const key = `${file.path}:${st.size}:${st.mtimeMs}`;
  let entry = cache.get(cloud);
  if (entry?.key !== key) {
    entry = { key, facts: new Map() };
    cache.set(cloud, entry);
  }
  if (entry.facts.has(instanceType)) return entry.facts.get(instanceType);
  const facts = scan(fs.readFileSync(file.path, 'utf8'), instanceType);
  entry.facts.set(instanceType, facts as InstanceFacts);
  return facts;
}

function scan(text: string, instanceType: string): InstanceFacts | undefined {
  const nl = text.indexOf('\n');
  const header = splitCsvLine(text.slice(0, nl < 0 ? undefined : nl)).map((h) => h.trim().replace(/^\uFEFF/, ''));
  const col = (name: string) => header.indexOf(name);
  const iType = col('InstanceType');
  // The line search below needs the type in the first column, as every SkyPilot vms.csv has it.
  if (iType !== 0) return undefined;
  // Rows are sorted by type in SkyPilot's files, but do not rely on it: find the first line of the type.
  const needle = `\n${instanceType},`;
  const at = text.indexOf(needle);
  if (at < 0) return undefined;
  const end = text.indexOf('\n', at + 1);
  const cells = splitCsvLine(text.slice(at + 1, end < 0 ? undefined : end));
  const cell = (name: string) => {
    const i = col(name);
    return i >= 0 && cells[i] ? cells[i] : undefined;
  };
  const count = cell('AcceleratorCount');
  return {
    acceleratorName: cell('AcceleratorName'),
    acceleratorCount: count === undefined ? undefined : Number(count),
    arch: cell('Arch'),
    generation: cell('Generation'),
  };
}
