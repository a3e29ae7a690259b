/** Kubernetes API failures as ProvisionError (the context is the "region" for failover). */
import { CancelledError } from '../../errors';
import { ProvisionError, isProvisionError } from '../provider';

interface ApiErrorShape {
  code?: number | string;
  body?: unknown;
  message?: string;
}

/** The Status message from an ApiException body (a JSON string or object), else the error's message. */
export function apiMessage(err: unknown): string {
  const e = err as ApiErrorShape;
  let body = e?.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      /* plain text */
    }
  }
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') return (body as { message: string }).message;
  if (typeof body === 'string' && body.trim()) return body.trim();
  return e?.message ?? String(err);
}

export function httpCode(err: unknown): number | undefined {
  const c = (err as ApiErrorShape)?.code;
  return typeof c === 'number' ? c : undefined;
}

export function mapKubernetesError(err: unknown, context: string): unknown {
  if (err instanceof CancelledError || (err instanceof Error && err.name === 'CancelledError')) return err;
  if (isProvisionError(err)) return err;
  const code = httpCode(err);
  const msg = apiMessage(err);
  const where = `Kubernetes context '${context}'`;
  if (code === 401)
    return new ProvisionError('auth', 'region', `${where} rejected the credentials: ${msg}`, {
      hint: 'Refresh the kubeconfig credentials, then `skydeck check k8s`.',
      cause: err,
    });
  if (code === 403 && /quota/i.test(msg))
    return new ProvisionError('quota', 'region', `${where}: ${msg}`, {
      hint: 'A ResourceQuota in the namespace is exhausted; free resources or ask for more.',
      cause: err,
    });
  if (code === 403)
    return new ProvisionError('auth', 'region', `${where} forbids this: ${msg}`, {
      hint: 'Your RBAC role needs pods (create, get, list, watch, delete) and pods/exec in the namespace.',
      cause: err,
    });
  if (code === 404)
    return new ProvisionError('config', 'region', `${where}: ${msg}`, { hint: 'Check the namespace of the context (`kubectl config view`).', cause: err });
  if (code === 422 || code === 400) return new ProvisionError('config', 'region', `${where} rejected the pod: ${msg}`, { cause: err });
  if (code === undefined) {
    return new ProvisionError('unreachable', 'region', `${where} does not answer: ${msg}`, {
      hint: 'Check that the API server is reachable (`skydeck check k8s`).',
      cause: err,
    });
  }
  return new ProvisionError('other', 'region', `${where}: HTTP ${code} ${msg}`, { cause: err });
}

/**
 * The namespace's admission (PodSecurity, a policy engine) refusing the FUSE access a pod with
 * MOUNT / MOUNT_CACHED storage asks for, as a config error that says so; undefined otherwise.
 */
export function fuseRefused(err: unknown, context: string, access: 'device-plugin' | 'privileged'): ProvisionError | undefined {
  const msg = apiMessage(err);
  if (httpCode(err) !== 403 || !/PodSecurity|privileged|SYS_ADMIN|capabilit|apparmor/i.test(msg)) return undefined;
  const asked = access === 'privileged' ? 'a privileged container' : 'the smarter-devices/fuse device with CAP_SYS_ADMIN';
  return new ProvisionError(
    'config',
    'region',
    `file_mounts: MOUNT and MOUNT_CACHED storage need FUSE in the pods, and Kubernetes context '${context}' refuses ${asked}: ${msg}`,
    {
      hint: 'Allow it in the namespace (label pod-security.kubernetes.io/enforce=privileged; with the smarter-device-manager DaemonSet on the nodes the pods need CAP_SYS_ADMIN rather than full privileges), or use mode: COPY.',
      cause: err,
    },
  );
}
