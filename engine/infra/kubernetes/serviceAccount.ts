/**
 * `kubernetes.remote_identity: SERVICE_ACCOUNT` (SkyPilot's default): the pods run as
 * skypilot-service-account, which SkyPilot creates in the pods' namespace when missing with a
 * Role giving it everything in that namespace and a RoleBinding (sky/provision/kubernetes/
 * config.py, bootstrap_instances), so a pod can launch and tear down other pods there. A pod
 * naming another account (a custom remote_identity, or pod_config's serviceAccountName) uses
 * it as it is: the user set it up.
 */
import * as k8s from '@kubernetes/client-node';
import { ProvisionError } from '../provider';
import { apiMessage, httpCode } from './errors';
import { DEFAULT_SERVICE_ACCOUNT } from './podSpec';

const LABELS = { parent: 'skypilot' };
const ROLE = `${DEFAULT_SERVICE_ACCOUNT}-role`;
const BINDING = `${DEFAULT_SERVICE_ACCOUNT}-role-binding`;

/** Reads the object; creates it on 404 (a 409 from a concurrent launch is as good). */
async function ensure(read: () => Promise<unknown>, create: () => Promise<unknown>): Promise<void> {
  try {
    await read();
    return;
  } catch (e) {
    if (httpCode(e) !== 404) throw e;
  }
  try {
    await create();
  } catch (e) {
    if (httpCode(e) !== 409) throw e;
  }
}

/** skypilot-service-account, its Role and RoleBinding in `namespace`, each created when missing. */
export async function ensureDefaultServiceAccount(config: k8s.KubeConfig, context: string, namespace: string): Promise<void> {
  const core = config.makeApiClient(k8s.CoreV1Api);
  const rbac = config.makeApiClient(k8s.RbacAuthorizationV1Api);
  const what = (kind: string, name: string) => `${kind} ${namespace}/${name}`;
  let step = what('ServiceAccount', DEFAULT_SERVICE_ACCOUNT);
  try {
    await ensure(
      () => core.readNamespacedServiceAccount({ namespace, name: DEFAULT_SERVICE_ACCOUNT }),
      () => core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace, labels: LABELS } } }),
    );
    step = what('Role', ROLE);
    await ensure(
      () => rbac.readNamespacedRole({ namespace, name: ROLE }),
      () =>
        rbac.createNamespacedRole({
          namespace,
          body: { metadata: { name: ROLE, namespace, labels: LABELS }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] },
        }),
    );
    step = what('RoleBinding', BINDING);
    await ensure(
      () => rbac.readNamespacedRoleBinding({ namespace, name: BINDING }),
      () =>
        rbac.createNamespacedRoleBinding({
          namespace,
          body: {
            metadata: { name: BINDING, namespace, labels: LABELS },
            subjects: [{ kind: 'ServiceAccount', name: DEFAULT_SERVICE_ACCOUNT, namespace }],
            roleRef: { kind: 'Role', name: ROLE, apiGroup: 'rbac.authorization.k8s.io' },
          },
        }),
    );
  } catch (e) {
    const code = httpCode(e);
    throw new ProvisionError(code === 401 ? 'auth' : 'config', 'region', `Kubernetes context '${context}': cannot set up ${step}: ${apiMessage(e)}`, {
      hint: 'kubernetes.remote_identity is SERVICE_ACCOUNT (the default): SkyDeck creates this account for the pods. Set it to LOCAL_CREDENTIALS, or to the name of an account that exists, if you may not create service accounts and roles.',
      cause: e,
    });
  }
}
