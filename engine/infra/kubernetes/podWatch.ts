/**
 * Following pods with the watch API: list (a snapshot and its resourceVersion), then watch
 * from that version so no change is missed, re-listing when the watch ends or expires (410).
 * The caller's `evaluate` sees the whole set after every change and decides when to stop.
 */
import * as k8s from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import { CancelledError } from '../../errors';
import { CloudTimeoutError } from '../../vmShared/poll';

export type Verdict<T> = { done: T } | { error: Error } | { wakeAt?: number };

export interface PodWatchOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** What is awaited, for the timeout message. */
  what: string;
}

export interface PodSource {
  config: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  namespace: string;
}

export async function listPods(src: PodSource, labelSelector: string): Promise<{ pods: Map<string, V1Pod>; resourceVersion?: string }> {
  const list = await src.core.listNamespacedPod({ namespace: src.namespace, labelSelector });
  const pods = new Map<string, V1Pod>();
  for (const p of list.items) pods.set(p.metadata?.name ?? '', p);
  return { pods, resourceVersion: list.metadata?.resourceVersion };
}

/** Subscribes to changes of the labelled pods; `onChange` gets the full set. Returns a stop function. */
export function followPods(src: PodSource, labelSelector: string, onChange: (pods: Map<string, V1Pod>) => void, onError: (err: unknown) => void): () => void {
  let stopped = false;
  let abort: AbortController | undefined;
  let failures = 0;
  const start = async (): Promise<void> => {
    if (stopped) return;
    let snapshot: Awaited<ReturnType<typeof listPods>>;
    try {
      snapshot = await listPods(src, labelSelector);
    } catch (e) {
      if (++failures > 3) return onError(e);
      setTimeout(() => void start(), 250 * failures).unref();
      return;
    }
    if (stopped) return;
    const pods = snapshot.pods;
    onChange(new Map(pods));
    const path = `/api/v1/namespaces/${encodeURIComponent(src.namespace)}/pods`;
    const params: Record<string, string | boolean> = { labelSelector, allowWatchBookmarks: true };
    if (snapshot.resourceVersion) params.resourceVersion = snapshot.resourceVersion;
    try {
      abort = await new k8s.Watch(src.config).watch(
        path,
        params,
        (type: string, obj: V1Pod & { code?: number }) => {
          if (stopped) return;
          failures = 0;
          if (type === 'BOOKMARK') return;
          if (type === 'ERROR') return; // 410 Gone etc.: the watch ends and we re-list
          const name = obj.metadata?.name ?? '';
          if (type === 'DELETED') pods.delete(name);
          else pods.set(name, obj);
          onChange(new Map(pods));
        },
        (err: unknown) => {
          if (stopped) return;
          // The server ends watches (timeouts, expiry): re-list and watch again.
          if (err && ++failures > 3) return onError(err);
          setTimeout(() => void start(), err ? 250 * failures : 0).unref();
        },
      );
      if (stopped) abort.abort();
    } catch (e) {
      if (++failures > 3) return onError(e);
      setTimeout(() => void start(), 250 * failures).unref();
    }
  };
  void start();
  return () => {
    stopped = true;
    abort?.abort();
  };
}

/** Resolves when `evaluate` says done, rejects on its error, the deadline, or cancellation. */
export function waitForPods<T>(
  src: PodSource,
  labelSelector: string,
  evaluate: (pods: Map<string, V1Pod>, now: number) => Verdict<T>,
  options: PodWatchOptions,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let finished = false;
    let wake: NodeJS.Timeout | undefined;
    let latest: Map<string, V1Pod> | undefined;
    const finish = (err: unknown, value?: T): void => {
      if (finished) return;
      finished = true;
      stop();
      clearTimeout(deadline);
      if (wake) clearTimeout(wake);
      options.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(value as T);
    };
    const check = (): void => {
      if (finished || !latest) return;
      const v = evaluate(latest, Date.now());
      if ('done' in v) return finish(undefined, v.done);
      if ('error' in v) return finish(v.error);
      if (wake) clearTimeout(wake);
      wake = v.wakeAt !== undefined ? setTimeout(check, Math.max(0, v.wakeAt - Date.now())) : undefined;
    };
    const onAbort = (): void => finish(new CancelledError());
    const deadline = setTimeout(() => finish(new CloudTimeoutError(options.what, Math.round(options.timeoutMs / 1000))), options.timeoutMs);
    const stop = followPods(
      src,
      labelSelector,
      (pods) => {
        latest = pods;
        check();
      },
      (err) => finish(err),
    );
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
