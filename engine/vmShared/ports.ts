/** Task ports ('8080', '10000-10010') as numeric ranges, for firewall rules of every cloud. */
import { InputError } from '../errors';

export interface PortRange {
  from: number;
  to: number;
}

export function parsePorts(ports: readonly string[]): PortRange[] {
  return ports.map((p) => {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(String(p));
    const from = m ? Number(m[1]) : NaN;
    const to = m && m[2] !== undefined ? Number(m[2]) : from;
    if (!m || from < 1 || to > 65535 || from > to) {
      throw new InputError(`Invalid port '${p}'.`, { hint: "Ports are numbers 1-65535 or ranges like '10000-10010'." });
    }
    return { from, to };
  });
}

/** '8080' or '10000-10010', the form most cloud firewall APIs take. */
export function portRangeText(r: PortRange): string {
  return r.from === r.to ? String(r.from) : `${r.from}-${r.to}`;
}
