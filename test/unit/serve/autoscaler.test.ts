import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestRateAutoscaler, type AutoscalerSpec } from '../../../engine/serve/autoscaler';
import { RateWindow } from '../../../engine/serve/rate';

const base: AutoscalerSpec = {
  minReplicas: 1,
  maxReplicas: 5,
  numOverprovision: 0,
  targetQpsPerReplica: 2,
  upscaleDelaySeconds: 30,
  downscaleDelaySeconds: 60,
  baseOndemandFallbackReplicas: 0,
  dynamicOndemandFallback: false,
  useSpot: false,
};

function setup(spec: Partial<AutoscalerSpec> = {}) {
  let now = 1_000_000;
  // A 1 s window: the rate seen is exactly what was sent in the last second.
  const window = new RateWindow(1);
  const scaler = new RequestRateAutoscaler({ ...base, ...spec }, window, () => now);
  /** Sends `qps` requests per second for `seconds`, evaluating once a second. */
  const run = (qps: number, seconds: number) => {
    let last = undefined as unknown as ReturnType<typeof scaler.evaluate>;
    for (let s = 0; s < seconds; s++) {
      now += 1000;
      window.add(now, qps);
      last = scaler.evaluate();
    }
    return last;
  };
  return { scaler, run, advance: (ms: number) => (now += ms) };
}

test('RateWindow counts requests in the window and forgets older ones', () => {
  const w = new RateWindow(10);
  w.add(0, 5);
  w.add(9_500, 5);
  assert.equal(w.total(9_999), 10);
  assert.equal(w.qps(9_999), 1);
  assert.equal(w.total(10_500), 5);
  assert.equal(w.total(100_000), 0);
});

test('upscales only after the load has lasted upscale_delay_seconds, with a logged reason', () => {
  const { scaler, run } = setup();
  assert.equal(scaler.currentTarget(), 1);
  const early = run(8, 29);
  assert.equal(early.target, 1);
  assert.match(early.reason, /upscale to 4 pending/);
  const d = run(8, 2);
  assert.equal(d.target, 4);
  assert.match(d.reason, /upscale 1 -> 4/);
});

test('clips to max_replicas and downscales only after downscale_delay_seconds', () => {
  const { scaler, run } = setup();
  assert.equal(run(100, 45).target, 5);
  assert.equal(run(0, 60).target, 5); // first idle second + 59 s: not yet
  const d = run(0, 1);
  assert.equal(d.target, 1);
  assert.match(d.reason, /downscale 5 -> 1/);
  assert.equal(scaler.currentTarget(), 1);
});

test('a dip shorter than the delay resets the hysteresis', () => {
  const { run } = setup({ upscaleDelaySeconds: 10 });
  run(8, 8); // wanted 4 for 8 s
  assert.equal(run(2, 1).target, 1); // back to 1 replica worth: the pending upscale resets
  assert.equal(run(8, 10).target, 1); // so the delay starts over
  assert.equal(run(8, 1).target, 4);
});

test('scales from zero immediately and never below min', () => {
  const { run } = setup({ minReplicas: 0, upscaleDelaySeconds: 300 });
  assert.equal(run(0, 3).target, 0);
  const d = run(1, 1);
  assert.equal(d.target, 1);
  assert.match(d.reason, /scale from zero/);
});

test('fixed size without target_qps_per_replica; over-provisioning adds on top', () => {
  const { run } = setup({ targetQpsPerReplica: undefined, minReplicas: 2, maxReplicas: 2, numOverprovision: 1 });
  const d = run(1000, 100);
  assert.equal(d.target, 2);
  assert.equal(d.total, 3);
});

test('on-demand fallback: base replicas on demand, dynamic covers spot that is not ready', () => {
  const { scaler } = setup({ useSpot: true, baseOndemandFallbackReplicas: 1, dynamicOndemandFallback: true });
  assert.deepEqual(scaler.split(3, 0), { spot: 2, onDemand: 3 });
  assert.deepEqual(scaler.split(3, 1), { spot: 2, onDemand: 2 });
  assert.deepEqual(scaler.split(3, 2), { spot: 2, onDemand: 1 });
  const { scaler: s2 } = setup({ useSpot: true, baseOndemandFallbackReplicas: 1 });
  assert.deepEqual(s2.split(3, 0), { spot: 2, onDemand: 1 });
  const { scaler: s3 } = setup();
  assert.deepEqual(s3.split(3, 0), { spot: 0, onDemand: 3 });
  assert.equal(scaler.policyName, 'FallbackRequestRateAutoscaler');
});
