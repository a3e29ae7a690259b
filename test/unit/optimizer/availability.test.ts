import { test } from 'node:test';
import assert from 'node:assert/strict';
import { overrideProvider } from '../../../engine/infra/registry';
import type { GpuAvailability, Provider, ReportsGpuAvailability } from '../../../engine/infra/provider';
import { liveGpuAvailability, summarizeAvailability } from '../../../engine/optimizer/availability';

/** A provider stand-in with only the optional capability (the rest is never called here). */
function fakeProvider(name: string, rows: GpuAvailability[] | Error): Provider & ReportsGpuAvailability {
  return {
    name,
    canStop: false,
    gpuAvailability: async () => {
      if (rows instanceof Error) throw rows;
      return rows;
    },
  } as unknown as Provider & ReportsGpuAvailability;
}

test('free GPUs on Kubernetes contexts and SSH pools come from the providers, filtered to configured infra', async (t) => {
  overrideProvider(
    'kubernetes',
    fakeProvider('kubernetes', [
      { infra: 'k8s/dev', node: 'n1', accelerator: 'A100', total: 8, free: 3 },
      { infra: 'k8s/dev', node: 'n2', accelerator: 'A100', total: 8, free: 8 },
      { infra: 'k8s/other', node: 'x', accelerator: 'H100', total: 8, free: 8 },
    ]),
  );
  overrideProvider('ssh', fakeProvider('ssh', [{ infra: 'ssh/lab', node: 'box', accelerator: 'L4', total: 4, free: -1 }]));
  t.after(() => {
    overrideProvider('kubernetes', undefined);
    overrideProvider('ssh', undefined);
  });
  const rows = await liveGpuAvailability(['k8s/dev', 'ssh/lab']);
  assert.deepEqual(rows.map((r) => `${r.infra} ${r.node}`).sort(), ['k8s/dev n1', 'k8s/dev n2', 'ssh/lab box']);
  assert.deepEqual(summarizeAvailability(rows), [
    { infra: 'k8s/dev', accelerator: 'A100', free: 11, total: 16 },
    { infra: 'ssh/lab', accelerator: 'L4', free: 0, total: 4 }, // -1 = unknown (pods not listable): counted as 0 free
  ]);
});

test('a provider without the capability, or failing, contributes nothing', async (t) => {
  overrideProvider('kubernetes', { name: 'kubernetes', canStop: false } as unknown as Provider);
  overrideProvider('ssh', fakeProvider('ssh', new Error('boom')));
  t.after(() => {
    overrideProvider('kubernetes', undefined);
    overrideProvider('ssh', undefined);
  });
  assert.deepEqual(await liveGpuAvailability(['k8s/dev', 'ssh/lab']), []);
  assert.deepEqual(await liveGpuAvailability(['gcp', 'local']), []);
});
