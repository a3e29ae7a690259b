/** Azure credentials and subscription found without an SDK or a call (see credentials.ts). */
import type { InfraDetection } from '../provider';
import { findAzureCredentials } from './credentials';

export function detect(env: NodeJS.ProcessEnv = process.env): InfraDetection[] {
  const creds = findAzureCredentials(env);
  return [{ infra: 'azure', enabled: creds.found, reason: creds.found ? `Credentials: ${creds.description}.` : creds.description }];
}
