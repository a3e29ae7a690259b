/**
 * Request-rate autoscaling as SkyPilot does it (sky/serve/autoscalers.py): the wanted
 * replica count is ceil(qps / target_qps_per_replica) clipped to [min, max]; a change only
 * takes effect after it has been wanted continuously for upscale_delay_seconds (up) or
 * downscale_delay_seconds (down), and scaling from zero is immediate. With on-demand
 * fallback the target is split into spot and on-demand replicas.
 *
 * Time comes from an injected clock so the hysteresis is unit-testable without waiting.
 */
import type { ResolvedServiceSpec } from './spec';
import type { RateWindow } from './rate';

export type AutoscalerSpec = Pick<
  ResolvedServiceSpec,
  | 'minReplicas'
  | 'maxReplicas'
  | 'numOverprovision'
  | 'targetQpsPerReplica'
  | 'upscaleDelaySeconds'
  | 'downscaleDelaySeconds'
  | 'baseOndemandFallbackReplicas'
  | 'dynamicOndemandFallback'
  | 'useSpot'
>;

export interface ScaleDecision {
  /** Replicas wanted (before over-provisioning). */
  target: number;
  /** Replicas to run: target + num_overprovision. */
  total: number;
  /** Whether `target` changed in this evaluation. */
  changed: boolean;
  /** Human-readable reason, for the controller log. */
  reason: string;
  qps: number;
}

export interface FallbackSplit {
  spot: number;
  onDemand: number;
}

export class RequestRateAutoscaler {
  private target: number;
  private higherSince?: number;
  private lowerSince?: number;
  private lastReason = '';

  constructor(
    private spec: AutoscalerSpec,
    private readonly requests: RateWindow,
    private readonly now: () => number = Date.now,
  ) {
    this.target = spec.minReplicas;
  }

  get policyName(): string {
    if (this.spec.baseOndemandFallbackReplicas > 0 || this.spec.dynamicOndemandFallback) return 'FallbackRequestRateAutoscaler';
    return 'RequestRateAutoscaler';
  }

  /** Describes the policy for `serve status -v`. */
  describe(): string {
    const s = this.spec;
    if (s.targetQpsPerReplica === undefined) return `Fixed ${s.minReplicas} replica${s.minReplicas === 1 ? '' : 's'}`;
    return `Autoscaling from ${s.minReplicas} to ${s.maxReplicas} replicas (target QPS per replica: ${s.targetQpsPerReplica})`;
  }

  /** New spec after `serve update`: the target is re-clipped at once, delays start over. */
  updateSpec(spec: AutoscalerSpec): void {
    this.spec = spec;
    this.target = Math.min(Math.max(this.target, spec.minReplicas), spec.maxReplicas);
    this.higherSince = this.lowerSince = undefined;
  }

  /** After a controller restart: continue from the stored target. */
  restoreTarget(target: number): void {
    this.target = Math.min(Math.max(target, this.spec.minReplicas), this.spec.maxReplicas);
  }

  currentTarget(): number {
    return this.target;
  }

  private wanted(qps: number): number {
    const s = this.spec;
    if (s.targetQpsPerReplica === undefined || s.targetQpsPerReplica <= 0) return s.minReplicas;
    return Math.min(Math.max(Math.ceil(qps / s.targetQpsPerReplica), s.minReplicas), s.maxReplicas);
  }

  evaluate(): ScaleDecision {
    const now = this.now();
    const qps = this.requests.qps(now);
    const wanted = this.wanted(qps);
    const prev = this.target;
    const q = qps.toFixed(2);
    let reason: string;
    if (wanted > prev) {
      this.lowerSince = undefined;
      this.higherSince ??= now;
      const waited = (now - this.higherSince) / 1000;
      if (prev === 0) {
        this.target = wanted;
        reason = `scale from zero: ${q} qps wants ${wanted} replica(s)`;
      } else if (waited >= this.spec.upscaleDelaySeconds) {
        this.target = wanted;
        reason = `upscale ${prev} -> ${wanted}: ${q} qps > ${this.spec.targetQpsPerReplica}/replica for ${waited.toFixed(0)}s (upscale_delay_seconds ${this.spec.upscaleDelaySeconds})`;
      } else {
        reason = `upscale to ${wanted} pending: ${q} qps, wanted for ${waited.toFixed(0)}s of ${this.spec.upscaleDelaySeconds}s`;
      }
    } else if (wanted < prev) {
      this.higherSince = undefined;
      this.lowerSince ??= now;
      const waited = (now - this.lowerSince) / 1000;
      if (waited >= this.spec.downscaleDelaySeconds) {
        this.target = wanted;
        reason = `downscale ${prev} -> ${wanted}: ${q} qps for ${waited.toFixed(0)}s (downscale_delay_seconds ${this.spec.downscaleDelaySeconds})`;
      } else {
        reason = `downscale to ${wanted} pending: ${q} qps, wanted for ${waited.toFixed(0)}s of ${this.spec.downscaleDelaySeconds}s`;
      }
    } else {
      this.higherSince = this.lowerSince = undefined;
      reason = `steady at ${prev}: ${q} qps`;
    }
    if (this.target !== prev) {
      this.higherSince = this.lowerSince = undefined;
    }
    this.lastReason = reason;
    return { target: this.target, total: this.target + this.spec.numOverprovision, changed: this.target !== prev, reason, qps };
  }

  get reason(): string {
    return this.lastReason;
  }

  /**
   * Spot / on-demand split (FallbackRequestRateAutoscaler): base_ondemand_fallback_replicas
   * always on demand; with dynamic fallback, one on-demand replica for every spot replica
   * that is wanted but not ready. Without spot, everything is on demand.
   */
  split(total: number, readySpot: number): FallbackSplit {
    const s = this.spec;
    if (!s.useSpot) return { spot: 0, onDemand: total };
    const base = Math.min(s.baseOndemandFallbackReplicas, total);
    const spot = total - base;
    const dynamic = s.dynamicOndemandFallback ? Math.max(0, spot - readySpot) : 0;
    return { spot, onDemand: Math.min(base + dynamic, total) };
  }
}
