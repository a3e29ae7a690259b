/**
 * The version handshake between a client and the SkyDeck installed on a controller node.
 * The node records what it runs (`bundle/skydeck-controller.json`: version and controller
 * protocol, the CLI verbs and JSON rows clients use). A client with another version:
 * - reinstalls when the controller is idle (no unfinished job or service), as SkyPilot
 *   restarts an outdated controller that runs nothing;
 * - keeps using the installed controller when it is busy and speaks the same protocol
 *   (it is upgraded by the first command after its work is done);
 * - refuses, saying exactly what to do, when it is busy and speaks another protocol.
 */
import { SkyDeckError } from '../errors';
import { controllerLabel, type ControllerKind } from './names';

/** Bumped when the remote verbs or their JSON rows change incompatibly. */
export const CONTROLLER_PROTOCOL = 1;

export interface InstalledController {
  version: string;
  protocol: number;
  /** Provider bundles installed (dist/providers/<name>.js). */
  providers: string[];
}

export interface ClientIdentity {
  version: string;
  protocol: number;
}

export type Handshake =
  | { action: 'use' }
  | { action: 'install'; reason: string }
  /** Version differs; whether the controller is busy decides (handshakeWhenDiffers). */
  | { action: 'ask-busy' };

export function handshake(installed: InstalledController | undefined, client: ClientIdentity): Handshake {
  if (!installed) return { action: 'install', reason: 'SkyDeck is not installed on the controller node yet' };
  if (installed.version === client.version && installed.protocol === client.protocol) return { action: 'use' };
  return { action: 'ask-busy' };
}

export type BusyDecision = { action: 'install'; reason: string } | { action: 'use-installed'; note: string };

export class ControllerVersionError extends SkyDeckError {
  constructor(message: string, hint: string) {
    super('CONTROLLER_VERSION_MISMATCH', message, { hint });
  }
}

/**
 * With versions differing: `unfinished` is the number of jobs or services the installed
 * controller still runs (as its own CLI reports them).
 */
export function handshakeWhenDiffers(
  kind: ControllerKind,
  cluster: string,
  installed: InstalledController,
  client: ClientIdentity,
  unfinished: number,
): BusyDecision {
  if (unfinished === 0) return { action: 'install', reason: `the controller runs SkyDeck ${installed.version} and is idle; upgrading it to ${client.version}` };
  const what = kind === 'jobs' ? `${unfinished} unfinished managed job(s)` : `${unfinished} service(s)`;
  if (installed.protocol === client.protocol)
    return {
      action: 'use-installed',
      note: `The ${controllerLabel(kind)} on '${cluster}' runs SkyDeck ${installed.version} (this is ${client.version}) and has ${what}; it keeps running them and is upgraded by the first command after they finish.`,
    };
  const down = kind === 'jobs' ? 'skydeck jobs cancel -a' : 'skydeck serve down -a';
  throw new ControllerVersionError(
    `The ${controllerLabel(kind)} on '${cluster}' runs SkyDeck ${installed.version} (controller protocol ${installed.protocol}); this SkyDeck ${client.version} speaks protocol ${client.protocol}, and the controller has ${what}, which keep running.`,
    `Manage them with SkyDeck ${installed.version}, or wait until they finish (this SkyDeck then upgrades the idle controller by itself), or end them with SkyDeck ${installed.version} (\`${down}\`).`,
  );
}

/** The client's identity (the CLI reports the same version). */
export function clientIdentity(env: NodeJS.ProcessEnv = process.env): ClientIdentity {
  return { version: env.SKYDECK_VERSION ?? '0.1.0', protocol: CONTROLLER_PROTOCOL };
}
