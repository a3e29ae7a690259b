/**
 * Autostop through the cloud's REST API, run by the head node itself (docs/AUTOSTOP.md): when
 * autostop is set, the client writes under `~/.skydeck_node/<cloud>-api/` on the head a
 * python3 program (standard library only: SkyPilot's images and any Linux host with python3
 * run it), its non-secret parameters, and, when the node has no identity of its own, the
 * user's credential file (0600). The autostop command runs the program and, if it is missing
 * or fails, the fallback (the guest shutdown), so the next `status -r` still finishes the job.
 *
 * Nothing secret passes through an argv, the environment, the action script or a log: the
 * credential is a file only the node's user reads, and the program never prints a token.
 */
import type { NodeFile } from '../infra/provider';

/** The program's folder on the head, relative to its HOME (where the agent runs the action). */
export function nodeApiDir(cloud: string): string {
  return `.skydeck_node/${cloud}-api`;
}

export interface NodeApiProgram {
  cloud: string;
  /** The cloud's python3 source; it follows NODE_API_PRELUDE (request, log, Fail, PARAMS, HERE). */
  script: string;
  /** Non-secret values the program reads as PARAMS (project, zone, names, API base URLs). */
  params: Record<string, unknown>;
  /** The user's credential file, written 0600 as `credential.json` beside the program. */
  credential?: Buffer;
}

/**
 * The shared start of every node program: HERE (its folder), PARAMS, log() with a UTC time,
 * Fail (a message for the action's log), and request(), a JSON/form HTTP call that returns
 * (status, parsed body) and never raises on an HTTP error status.
 */
export const NODE_API_PRELUDE = String.raw`import base64, json, os, subprocess, sys, tempfile, time
import urllib.error, urllib.parse, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, 'params.json')) as f:
    PARAMS = json.load(f)


class Fail(Exception):
    pass


def log(msg):
    print(time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), msg, flush=True)


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def request(method, url, token=None, body=None, form=None, headers=None, direct=False, timeout=120):
    h = dict(headers or {})
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
    opener = _NO_PROXY if direct else urllib.request.build_opener()
    try:
        with opener.open(req, timeout=timeout) as r:
            text = r.read().decode('utf-8', 'replace')
            status = r.status
    except urllib.error.HTTPError as e:
        text = e.read().decode('utf-8', 'replace')
        status = e.code
    except (urllib.error.URLError, OSError) as e:
        raise Fail('%s %s: %s' % (method, url.split('?')[0], e))
    try:
        return status, (json.loads(text) if text.strip() else {})
    except ValueError:
        return status, {'error': {'message': text[:300]}}


def api_error(status, body):
    err = body.get('error') if isinstance(body, dict) else None
    if isinstance(err, dict):
        return '%s %s' % (status, err.get('message') or err.get('status') or '')
    return '%s %s' % (status, err or '')
`;

/** The files the client writes on the head for `program` (secrets 0600, the rest 0644). */
export function nodeApiFiles(program: NodeApiProgram): NodeFile[] {
  const dir = nodeApiDir(program.cloud);
  const files: NodeFile[] = [
    { path: `${dir}/run.py`, content: `${NODE_API_PRELUDE}\n\n${program.script}`, mode: 0o644 },
    { path: `${dir}/params.json`, content: `${JSON.stringify(program.params, null, 2)}\n`, mode: 0o644 },
  ];
  if (program.credential) files.push({ path: `${dir}/credential.json`, content: program.credential, mode: 0o600 });
  return files;
}

/**
 * The node command: run the program where it was written (the head), else, or when it fails,
 * the fallback. Workers have no program and run the fallback; the head's program then deals
 * with them through the API.
 */
export function nodeApiCommand(cloud: string, fallback: string): string {
  const run = `"$HOME"/${nodeApiDir(cloud)}/run.py`;
  return `if [ -f ${run} ] && command -v python3 >/dev/null 2>&1; then python3 ${run} || { echo "${cloud} API action failed; falling back to the guest shutdown"; ${fallback}; }; else ${fallback}; fi`;
}
