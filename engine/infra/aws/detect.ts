/** AWS credentials found without an SDK or a call (see credentials.ts). */
import type { InfraDetection } from '../provider';
import { findAwsCredentials } from './credentials';

export function detect(env: NodeJS.ProcessEnv = process.env): InfraDetection[] {
  const src = findAwsCredentials(env);
  return [{ infra: 'aws', enabled: src.found, reason: src.found ? `Credentials: ${src.description}.` : src.description }];
}
