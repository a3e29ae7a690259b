/**
 * Autostop through the cloud's REST API, run by the head node itself (docs/AUTOSTOP.md), the
 * one mechanism GCP's autodown and Azure's stop/down share. The provider's `autostopCommands`
 * returns, as its `files`, a python3 program (this prelude and the cloud's part, standard
 * library only: SkyPilot's images and any Linux host with python3 run it), its non-secret
 * parameters and, when the node has no identity of its own, the credential it mints its token
 * with; the client puts them in the head's AUTOSTOP_FILES_DIR (engine/cluster/autostop.ts).
 * The command runs the program and, if it is missing (a worker) or fails, the fallback (the
 * guest shutdown), so the next `status -r` still finishes the job.
 *
 * Nothing secret passes through an argv, the environment, the action script or a log: the
 * credential is a file only the node's user reads, and the program never prints a token.
 * The cloud-specific parts (the program's body, its parameters) live in engine/infra/<cloud>/.
 */
import { AUTOSTOP_FILES_DIR, type AutostopFile } from '../infra/provider';

const PROGRAM = 'run.py';

export interface CloudApiProgram {
  /** The cloud's name, for the command's log line. */
  cloud: string;
  /** The cloud's python3 source; it follows CLOUD_API_PRELUDE (request, exchange, log, Fail, PARAMS, HERE). */
  script: string;
  /** Non-secret values the program reads as PARAMS (API base URLs, project, zone, names; `ca_pem`: a CA to trust). */
  params: Record<string, unknown>;
  /** What the program mints its token with (the user's credential file, a token request), as `credential.json`. */
  credential?: string | Buffer;
}

/**
 * The shared start of every program: HERE (its folder), PARAMS, log() with a UTC time, Fail
 * (a message for the action's log), exchange(), an HTTP call with a JSON or form body that
 * returns (status, headers, parsed body) and never raises on an HTTP error status, request()
 * the same without the headers, and api_error() for a failed call's message.
 */
export const CLOUD_API_PRELUDE = String.raw`import base64, json, os, ssl, subprocess, sys, tempfile, time
import urllib.error, urllib.parse, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, 'params.json')) as f:
    PARAMS = json.load(f)


class Fail(Exception):
    pass


def log(msg):
    print(time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), msg, flush=True)


# A test server's certificate (a local fake of the API): trusted when the client trusts it.
_HTTPS = urllib.request.HTTPSHandler(context=ssl.create_default_context(cadata=PARAMS['ca_pem']) if PARAMS.get('ca_pem') else None)
_OPENER = urllib.request.build_opener(_HTTPS)
# The instance metadata server is link-local: never through a proxy.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}), _HTTPS)


def exchange(method, url, token=None, body=None, form=None, headers=None, direct=False, timeout=120):
    h = {'User-Agent': 'skydeck-node-autostop'}
    h.update(headers or {})
    data = None
    if token:
        h['Authorization'] = 'Bearer ' + token
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        h['Content-Type'] = 'application/x-www-form-urlencoded'
    elif body is not None:
        data = json.dumps(body).encode()
        h['Content-Type'] = 'application/json'
    elif method in ('POST', 'PUT', 'PATCH'):
        data = b''
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    opener = _NO_PROXY if direct else _OPENER
    try:
        with opener.open(req, timeout=timeout) as r:
            text = r.read().decode('utf-8', 'replace')
            status, got = r.status, r.headers
    except urllib.error.HTTPError as e:
        text = e.read().decode('utf-8', 'replace')
        status, got = e.code, e.headers
    except (urllib.error.URLError, OSError) as e:
        raise Fail('%s %s: %s' % (method, url.split('?')[0], e))
    try:
        return status, got, (json.loads(text) if text.strip() else {})
    except ValueError:
        return status, got, {'error': {'message': text[:300]}}


def request(method, url, **kwargs):
    status, _, body = exchange(method, url, **kwargs)
    return status, body


def api_error(status, body):
    err = body.get('error') if isinstance(body, dict) else None
    if isinstance(err, dict):
        return '%s %s' % (status, err.get('message') or err.get('status') or err.get('code') or '')
    if err:
        return '%s %s %s' % (status, err, body.get('error_description', ''))
    return '%s' % status


def read_credential():
    with open(os.path.join(HERE, 'credential.json')) as f:
        return json.load(f)
`;

/** The program's files for AUTOSTOP_FILES_DIR. */
export function cloudApiFiles(program: CloudApiProgram): AutostopFile[] {
  const files: AutostopFile[] = [
    { name: PROGRAM, content: `${CLOUD_API_PRELUDE}\n\n${program.script}` },
    { name: 'params.json', content: `${JSON.stringify(program.params, null, 2)}\n` },
  ];
  if (program.credential !== undefined) files.push({ name: 'credential.json', content: program.credential });
  return files;
}

/**
 * The node command: run the program (with `args`) where it was written (the head), else, or
 * when it fails, the fallback. Workers have no program and run the fallback; the head's
 * program then deals with them through the API.
 */
export function cloudApiCommand(cloud: string, fallback: string, args = ''): string {
  const run = `"$HOME"/${AUTOSTOP_FILES_DIR}/${PROGRAM}`;
  const call = args ? `${run} ${args}` : run;
  return `if [ -f ${run} ] && command -v python3 >/dev/null 2>&1; then python3 ${call} || { echo "${cloud} API action failed; falling back to the guest shutdown"; ${fallback}; }; else ${fallback}; fi`;
}
