/** GCP credentials and project found without an SDK or a call (see credentials.ts). */
import type { InfraDetection } from '../provider';
import { findGcpCredentials } from './credentials';

export function detect(env: NodeJS.ProcessEnv = process.env): InfraDetection[] {
  const creds = findGcpCredentials(env);
  return [{ infra: 'gcp', enabled: creds.found, reason: creds.found ? `Credentials: ${creds.description}.` : creds.description }];
}
