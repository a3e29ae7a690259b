/** Shared helpers for catalog/optimizer tests: Task objects built directly, the reference catalog loaded once per file. */
import * as path from 'node:path';
import * as fs from 'node:fs';
import type { ResourcesChoice, ResourcesSpec, Task } from '../../../engine/task/types';

/** ../shared/reference-catalogs beside the work tree (the tests' real GCP + Azure data). */
export const REFERENCE_CATALOGS = process.env.SKYDECK_REFERENCE_CATALOGS ?? path.resolve(__dirname, '../../../../shared/reference-catalogs');

export function referenceAvailable(): boolean {
  return fs.existsSync(path.join(REFERENCE_CATALOGS, 'gcp', 'vms.csv'));
}

export function task(spec: ResourcesSpec = {}, numNodes = 1): Task {
  return { numNodes, envs: {}, secrets: {}, fileMounts: {}, raw: {}, resources: { base: spec, candidates: [spec], mode: 'single' } };
}

export function taskWith(choice: ResourcesChoice, numNodes = 1): Task {
  return { numNodes, envs: {}, secrets: {}, fileMounts: {}, raw: {}, resources: choice };
}

export const gpu = (name: string, count = 1): ResourcesSpec => ({ accelerators: [{ name, count }] });

/** A naive, independent reading of a reference CSV (for expected values): header -> rows of strings. */
export function naiveCsv(file: string): Record<string, string>[] {
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length);
  const header = lines[0].split(',');
  return lines.slice(1).map((line) => {
    if (!line.includes('"')) {
      const cells = line.split(',');
      return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
    }
    const cells: string[] = [];
    let cur = '';
    let q = false;
    for (const ch of line) {
      if (ch === '"') q = !q;
      else if (ch === ',' && !q) {
        cells.push(cur);
        cur = '';
      } else cur += ch;
    }
    cells.push(cur);
    return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
  });
}
