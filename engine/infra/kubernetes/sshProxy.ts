/**
 * Remote-SSH into a pod: the ssh config entry's ProxyCommand runs the hidden
 * `skydeck k8s-ssh-proxy --context C --namespace N POD`, which bridges its stdin/stdout to
 * the pod's sshd on 127.0.0.1:22 through the exec API (a relay started in the pod), so no
 * port is exposed and no kubectl is needed. The pod needs sshd (SkyDeck's startup script
 * starts it when the image has one; SkyPilot's default image does) and one of nc, socat or
 * bash (/dev/tcp) for the relay.
 */
import type { Readable, Writable } from 'node:stream';
import type { SshEndpoint } from '../provider';
import { shellJoin } from '../../node/quote';
import { skydeckCliArgv } from '../../util/paths';
import type { Transport } from '../../node/transport';

export const SSH_PROXY_VERB = 'k8s-ssh-proxy';
const POD_SSH_USER = 'root';

function sshProxyArgv(context: string, namespace: string, pod: string): string[] {
  return [...skydeckCliArgv(), SSH_PROXY_VERB, '--context', context, '--namespace', namespace, pod];
}

export function sshEndpointFor(context: string, namespace: string, pod: string, identityFile: string): SshEndpoint {
  let proxyCommand: string | undefined;
  try {
    proxyCommand = shellJoin(sshProxyArgv(context, namespace, pod));
  } catch {
    proxyCommand = undefined; // no package root (unusual layout): no Remote-SSH entry
  }
  return { host: pod, port: 22, user: POD_SSH_USER, identityFile, proxyCommand };
}

/** The relay run in the pod to 127.0.0.1:<port>: the first of nc, socat, bash /dev/tcp that exists. */
function podRelay(port = 22): string[] {
  return [
    'sh',
    '-c',
    'if command -v nc >/dev/null 2>&1; then exec nc 127.0.0.1 "$1"; ' +
      'elif command -v socat >/dev/null 2>&1; then exec socat - "TCP:127.0.0.1:$1"; ' +
      'elif command -v bash >/dev/null 2>&1; then exec bash -c \'exec 3<>/dev/tcp/127.0.0.1/$0; cat <&3 & cat >&3; wait\' "$1"; ' +
      'else echo "skydeck: the pod has none of nc, socat, bash for the SSH relay" >&2; exit 127; fi',
    'relay',
    String(port),
  ];
}

/** Bridges `input`/`output` to the pod's sshd; resolves with the relay's exit code. */
export async function bridgeToPodSshd(transport: Transport, input: Readable, output: Writable, errors: Writable, port = 22): Promise<number> {
  const r = await transport.exec(podRelay(port), {
    stdin: input,
    onStdout: (chunk) => void output.write(chunk),
    onStderr: (chunk) => void errors.write(chunk),
  });
  return r.exitCode;
}
