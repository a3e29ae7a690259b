/** `local` is always there: nodes are directories and processes on this machine. */
import type { InfraDetection } from '../provider';

export function detect(): InfraDetection[] {
  return [{ infra: 'local', enabled: true, reason: 'This machine (always available).' }];
}
