/**
 * Autodown on GCP from the node itself (docs/AUTOSTOP.md), as SkyPilot's head tears its own
 * cluster down: the head gets a token (from the user's credential file for
 * LOCAL_CREDENTIALS, from the metadata server when a service account is attached), lists the
 * cluster's instances by label, deletes the workers, the ports firewall rule, then itself,
 * through the Compute REST API. Workers (and a head whose program fails) power off instead,
 * and the next `status -r` finishes the teardown as before. Autostop (stop) stays the guest
 * shutdown: GCE marks a VM that powers itself off TERMINATED, which is a stop.
 *
 * SDK-free: this runs in the provider's lazy entry, and the node needs only python3 and, for
 * a service-account key, openssl.
 */
import type { AutostopCommands, ClusterHandle } from '../provider';
import { guestShutdownCommands } from '../../vmShared/guestShutdown';
import { cloudApiCommand, cloudApiFiles } from '../../vmShared/cloudApiAutostop';
import { findGcpNodeCredential } from './credentials';
import { computeApiBase, metadataTokenUrl } from './endpoint';
import { CLUSTER_LABEL, firewallName, gcpLabel, NODE_TYPE_LABEL } from './names';
import { gcpRemoteIdentity, type GcpRemoteIdentity } from './remoteIdentity';

/** The node's program after CLOUD_API_PRELUDE: a token, then the deletions, workers first. */
const AUTODOWN_PY = String.raw`SCOPE = 'https://www.googleapis.com/auth/cloud-platform'


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b'=').decode()


def token_from_credential():
    cred = read_credential()
    kind = cred.get('type')
    uri = cred.get('token_uri') or 'https://oauth2.googleapis.com/token'
    if kind == 'authorized_user':
        form = {'grant_type': 'refresh_token', 'client_id': cred.get('client_id', ''),
                'client_secret': cred.get('client_secret', ''), 'refresh_token': cred.get('refresh_token', '')}
    elif kind == 'service_account':
        now = int(time.time())
        header = b64url(json.dumps({'alg': 'RS256', 'typ': 'JWT', 'kid': cred.get('private_key_id', '')}).encode())
        claims = b64url(json.dumps({'iss': cred.get('client_email'), 'scope': SCOPE, 'aud': uri,
                                    'iat': now, 'exp': now + 3600}).encode())
        unsigned = header + '.' + claims
        fd, key = tempfile.mkstemp(dir=HERE)
        try:
            with os.fdopen(fd, 'w') as f:
                f.write(cred.get('private_key', ''))
            signed = subprocess.run(['openssl', 'dgst', '-sha256', '-sign', key],
                                    input=unsigned.encode(), capture_output=True)
        finally:
            os.unlink(key)
        if signed.returncode != 0:
            raise Fail('openssl could not sign the token request: ' + signed.stderr.decode('utf-8', 'replace')[:200])
        form = {'grant_type': 'urn:ietf:params:oauth:grant-type:jwt-bearer',
                'assertion': unsigned + '.' + b64url(signed.stdout)}
    else:
        raise Fail('a %r credential cannot be used on the node' % kind)
    status, body = request('POST', uri, form=form)
    if status != 200 or not body.get('access_token'):
        raise Fail('the token endpoint refused: ' + api_error(status, body))
    return body['access_token']


def token_from_metadata(url):
    status, body = request('GET', url, headers={'Metadata-Flavor': 'Google'}, direct=True)
    if status != 200 or not body.get('access_token'):
        raise Fail('the metadata server gave no token: ' + api_error(status, body))
    return body['access_token']


class Compute:
    def __init__(self, token):
        self.token = token
        self.base = PARAMS['compute_base'] + '/compute/v1/projects/' + PARAMS['project']

    def call(self, method, path, missing_ok=False):
        status, body = request(method, self.base + path, token=self.token)
        if status == 404 and missing_ok:
            return None
        if status >= 300:
            raise Fail('%s %s: %s' % (method, path.split('?')[0], api_error(status, body)))
        return body

    def wait(self, op, where):
        for _ in range(60):
            if op.get('status') == 'DONE':
                break
            op = self.call('POST', '/%s/operations/%s/wait' % (where, op['name']))
        else:
            raise Fail('operation %s did not finish' % op.get('name'))
        errors = (op.get('error') or {}).get('errors') or []
        if errors:
            raise Fail('%s: %s' % (errors[0].get('code'), errors[0].get('message')))


def main():
    zone = PARAMS['zone']
    where = 'zones/' + zone
    if PARAMS['token'] == 'metadata':
        token = token_from_metadata(PARAMS['metadata_token_url'])
    else:
        token = token_from_credential()
    c = Compute(token)
    query = '?filter=' + urllib.parse.quote('labels.%s = %s' % (PARAMS['cluster_label'], PARAMS['cluster']))
    items, page = [], None
    while True:
        body = c.call('GET', '/%s/instances%s%s' % (where, query, '&pageToken=' + urllib.parse.quote(page) if page else ''))
        items += body.get('items') or []
        page = body.get('nextPageToken')
        if not page:
            break
    heads = [i['name'] for i in items if (i.get('labels') or {}).get(PARAMS['role_label']) == 'head']
    workers = [i['name'] for i in items if i['name'] not in heads]
    log('gcp autodown: deleting %d worker(s), the firewall rule, then the head (%s)' % (len(workers), ', '.join(heads) or 'none'))
    ops = [c.call('DELETE', '/%s/instances/%s' % (where, n), missing_ok=True) for n in workers]
    for op in ops:
        if op:
            c.wait(op, where)
    op = c.call('DELETE', '/global/firewalls/' + PARAMS['firewall'], missing_ok=True)
    if op:
        c.wait(op, 'global')
    for n in heads:
        op = c.call('DELETE', '/%s/instances/%s' % (where, n), missing_ok=True)
        # GCE powers this node off while the wait is pending: that ends the program too.
        if op:
            c.wait(op, where)
    log('gcp autodown: done')


try:
    main()
except Fail as e:
    log('gcp autodown failed: %s' % e)
    sys.exit(1)
`;

interface GcpAutodownHandle {
  project?: string;
  remoteIdentity?: GcpRemoteIdentity;
}

/**
 * The node's commands: stop is the guest shutdown; down is the API program on the head when
 * the node can get a token (the user's credential file, or an attached service account), the
 * guest shutdown otherwise (NO_UPLOAD, no usable credential file).
 */
export function gcpAutostopCommands(handle: ClusterHandle, down = true): AutostopCommands {
  const shutdown = guestShutdownCommands();
  const data = (handle.data ?? {}) as GcpAutodownHandle;
  if (!down || !data.project || !handle.zone) return shutdown;
  const identity = data.remoteIdentity ?? gcpRemoteIdentity(handle.clusterName, data.project);
  if (identity.kind === 'no-upload') return shutdown;
  let credential: Buffer | undefined;
  if (identity.kind === 'local-credentials') {
    const found = findGcpNodeCredential();
    if (!found.found) return shutdown;
    credential = found.content;
  }
  const params = {
    project: data.project,
    zone: handle.zone,
    cluster_label: CLUSTER_LABEL,
    cluster: gcpLabel(handle.nameOnCloud),
    role_label: NODE_TYPE_LABEL,
    firewall: firewallName(handle.nameOnCloud),
    compute_base: computeApiBase(),
    token: identity.kind === 'service-account' ? 'metadata' : 'credential',
    ...(identity.kind === 'service-account' ? { metadata_token_url: metadataTokenUrl() } : {}),
  };
  return {
    stop: shutdown.stop,
    down: cloudApiCommand('gcp', shutdown.down),
    files: cloudApiFiles({ cloud: 'gcp', script: AUTODOWN_PY, params, credential }),
  };
}
