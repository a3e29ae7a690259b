/**
 * Autostop on Azure with no client (docs/AUTOSTOP.md). A VM powered off from inside stays
 * allocated (billed), so the head calls Azure Resource Manager itself, as SkyPilot's node
 * does with the credential it is given: it mints a token (./nodeCredential.ts), then
 * deallocates (stop) or deletes (down) the cluster's VMs, workers first, then itself; down
 * deletes the cluster's resource group last, which takes the head and everything else with it.
 *
 * The head's program is the shared cloud-API one (engine/vmShared/cloudApiAutostop.ts): its
 * parameters are the ARM endpoint, subscription and resource group, its credential the token
 * request. Workers get nothing: their command powers them off, as before. When the head has no
 * credential or its calls fail, it powers itself off too, and the next `status -r` finishes.
 */
import type { AutostopCommands, ClusterHandle } from '../provider';
import { guestShutdownCommands } from '../../vmShared/guestShutdown';
import { cloudApiCommand, cloudApiFiles } from '../../vmShared/cloudApiAutostop';
import { names } from './spec';
import { nodeCredential, remoteIdentityFor, type RemoteIdentity } from './nodeCredential';
import * as fs from 'node:fs';

const ARM = 'https://management.azure.com';

/**
 * Each node's commands: the head (the only one with the program) calls ARM, falling back to
 * powering off; workers power off. Stop needs the API as much as down (a deallocation), so
 * the setting does not matter. No token for the head: every node only powers off.
 */
export function azureAutostopCommands(handle: ClusterHandle, _down?: boolean, env: NodeJS.ProcessEnv = process.env): AutostopCommands {
  const off = guestShutdownCommands();
  const data = handle.data as { resourceGroup?: string; subscriptionId?: string; remoteIdentity?: RemoteIdentity };
  const identity = data.remoteIdentity ?? remoteIdentityFor(handle.clusterName);
  const { token } = nodeCredential(identity, env);
  const subscription = data.subscriptionId;
  if (!token || !subscription) return off;
  const params = {
    arm: (env.SKYDECK_AZURE_ENDPOINT || ARM).replace(/\/+$/, ''),
    subscription,
    resource_group: data.resourceGroup ?? names(handle.nameOnCloud).resourceGroup,
    // A test server's certificate (the fake Resource Manager): what this machine trusts for ARM, the node trusts too.
    ...(env.SKYDECK_AZURE_CA_FILE ? { ca_pem: fs.readFileSync(env.SKYDECK_AZURE_CA_FILE, 'utf8') } : {}),
  };
  return {
    stop: cloudApiCommand('azure', off.stop, 'stop'),
    down: cloudApiCommand('azure', off.down, 'down'),
    files: cloudApiFiles({ cloud: 'azure', script: AZURE_PY, params, credential: `${JSON.stringify(token)}\n` }),
  };
}

/** The node's program after CLOUD_API_PRELUDE; prints what it does, never the credential or a token. */
const AZURE_PY = String.raw`COMPUTE = 'api-version=2024-07-01'
GROUPS = 'api-version=2021-04-01'
SCOPE = 'https://management.azure.com/.default'
DEADLINE = time.time() + 1800


def token():
    t = read_credential()
    if t['kind'] == 'imds':
        q = {'api-version': '2018-02-01', 'resource': 'https://management.azure.com/'}
        if t.get('clientId'):
            q['client_id'] = t['clientId']
        if t.get('resourceId'):
            q['msi_res_id'] = t['resourceId']
        url = t['endpoint'] + '/metadata/identity/oauth2/token?' + urllib.parse.urlencode(q)
        status, body = request('GET', url, headers={'Metadata': 'true'}, direct=True)
        source = 'the instance metadata service'
    else:
        form = {'client_id': t['clientId'], 'scope': SCOPE}
        if t['kind'] == 'client_credentials':
            form.update(grant_type='client_credentials', client_secret=t['clientSecret'])
        else:
            form.update(grant_type='refresh_token', refresh_token=t['refreshToken'], scope=SCOPE + ' offline_access')
        url = '%s/%s/oauth2/v2.0/token' % (t['authority'], urllib.parse.quote(t['tenant']))
        status, body = request('POST', url, form=form)
        source = t['authority']
    if status != 200 or not body.get('access_token'):
        raise Fail('no token from %s: %s' % (source, api_error(status, body)))
    return body['access_token']


def wait(tok, what, headers):
    """Follows ARM's asynchronous operation (Azure-AsyncOperation, else Location) to its end."""
    op = headers.get('Azure-AsyncOperation')
    loc = headers.get('Location')
    pause = headers.get('Retry-After') or '2'
    while time.time() < DEADLINE and (op or loc):
        # ARM says how long to wait before asking again (Retry-After).
        time.sleep(min(max(float(pause), 0.2), 10))
        status, headers, body = exchange('GET', op or loc, token=tok)
        pause = headers.get('Retry-After') or pause
        if op:
            state = body.get('status') if status == 200 else None
            if state == 'Succeeded':
                return
            if state in ('Failed', 'Canceled'):
                raise Fail('%s %s (%s)' % (what, state.lower(), api_error(status, body)))
        elif status in (200, 204):
            return
        if status == 404:
            return
        if status >= 400:
            raise Fail('%s: %s' % (what, api_error(status, body)))
    if time.time() >= DEADLINE:
        raise Fail('%s did not finish in time' % what)


def act(tok, method, url, what):
    status, headers, body = exchange(method, url, token=tok)
    if status == 404:
        log('azure autostop: %s: already gone' % what)
        return
    if status not in (200, 201, 202, 204):
        raise Fail('%s: %s' % (what, api_error(status, body)))
    log('azure autostop: ' + what)
    wait(tok, what, headers)


def main(action):
    tok = token()
    group = '%s/subscriptions/%s/resourceGroups/%s' % (PARAMS['arm'], PARAMS['subscription'], urllib.parse.quote(PARAMS['resource_group']))
    vms_url = group + '/providers/Microsoft.Compute/virtualMachines'
    status, body = request('GET', vms_url + '?' + COMPUTE, token=tok)
    if status == 404:
        log('azure autostop: resource group %s is gone; nothing to do' % PARAMS['resource_group'])
        return
    if status != 200:
        raise Fail('listing the VMs: ' + api_error(status, body))
    vms = body.get('value', [])
    head = [v for v in vms if (v.get('tags') or {}).get('skydeck-node-type') == 'head']
    workers = [v for v in vms if v not in head]
    for vm in workers:
        url = vms_url + '/' + urllib.parse.quote(vm['name'])
        if action == 'down':
            act(tok, 'DELETE', url + '?' + COMPUTE, 'deleting VM ' + vm['name'])
        else:
            act(tok, 'POST', url + '/deallocate?' + COMPUTE, 'deallocating VM ' + vm['name'])
    if action == 'down':
        # The group's deletion takes the head and everything else of the cluster with it.
        act(tok, 'DELETE', group + '?' + GROUPS, 'deleting resource group ' + PARAMS['resource_group'])
        return
    for vm in head:
        act(tok, 'POST', vms_url + '/' + urllib.parse.quote(vm['name']) + '/deallocate?' + COMPUTE, 'deallocating VM ' + vm['name'])


try:
    main(sys.argv[1] if len(sys.argv) > 1 else 'stop')
except Fail as e:
    log('azure autostop failed: %s' % e)
    sys.exit(1)
`;
