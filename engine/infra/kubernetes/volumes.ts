/**
 * PersistentVolumeClaims for `skydeck volumes apply|delete` (type k8s-pvc), as SkyPilot
 * creates them: ReadWriteOnce unless `access_mode` says otherwise, the cluster's default
 * storage class unless `storage_class_name` names one, in the context's namespace unless
 * `namespace` names another. `use_existing` adopts a PVC that must already exist.
 */
import type * as k8s from '@kubernetes/client-node';
import { InputError } from '../../errors';
import type { VolumeCreateRequest, VolumeCreated } from '../provider';
import { httpCode, mapKubernetesError } from './errors';

const VOLUME_LABEL = 'skydeck-volume';

function gi(storage: string | undefined): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(Mi|Gi|Ti)?$/.exec(storage ?? '');
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === 'Mi' ? n / 1024 : m[2] === 'Ti' ? n * 1024 : n;
}

export async function createPvc(core: k8s.CoreV1Api, context: string, namespace: string, r: VolumeCreateRequest): Promise<VolumeCreated> {
  if (r.useExisting) {
    try {
      const pvc = await core.readNamespacedPersistentVolumeClaim({ namespace, name: r.nameOnInfra });
      return { region: context, namespace, sizeGi: gi(pvc.status?.capacity?.storage ?? pvc.spec?.resources?.requests?.storage) };
    } catch (e) {
      if (httpCode(e) === 404)
        throw new InputError(`use_existing: no PVC '${r.nameOnInfra}' in ${context}/${namespace}.`, {
          hint: 'Set name to the existing PVC, or drop use_existing to create one.',
        });
      throw mapKubernetesError(e, context);
    }
  }
  const body: k8s.V1PersistentVolumeClaim = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: r.nameOnInfra, namespace, labels: { ...r.labels, [VOLUME_LABEL]: r.nameOnInfra } },
    spec: {
      accessModes: [r.accessMode ?? 'ReadWriteOnce'],
      resources: { requests: { storage: `${r.sizeGi}Gi` } },
      ...(r.storageClassName ? { storageClassName: r.storageClassName } : {}),
    },
  };
  try {
    await core.createNamespacedPersistentVolumeClaim({ namespace, body });
  } catch (e) {
    if (httpCode(e) === 409)
      throw new InputError(`name: a PVC '${r.nameOnInfra}' already exists in ${context}/${namespace}.`, {
        hint: 'Use another name, or use_existing: true to adopt it.',
      });
    throw mapKubernetesError(e, context);
  }
  return { region: context, namespace, sizeGi: r.sizeGi };
}

export async function deletePvc(core: k8s.CoreV1Api, context: string, namespace: string, name: string): Promise<void> {
  try {
    await core.deleteNamespacedPersistentVolumeClaim({ namespace, name });
  } catch (e) {
    if (httpCode(e) !== 404) throw mapKubernetesError(e, context);
  }
}
