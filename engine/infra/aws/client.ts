/** EC2 clients per region, with the endpoint override used against moto (SKYDECK_AWS_ENDPOINT). */
import { EC2Client } from '@aws-sdk/client-ec2';

const clients = new Map<string, EC2Client>();

export function awsEndpointOverride(): string | undefined {
  return process.env.SKYDECK_AWS_ENDPOINT || undefined;
}

export function ec2(region: string): EC2Client {
  let c = clients.get(region);
  if (!c) {
    // The SDK's "Node 22 will be required from 2027" notice is for SDK maintainers, not users.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const endpoint = awsEndpointOverride();
    c = new EC2Client({
      region,
      ...(endpoint ? { endpoint } : {}),
      maxAttempts: Number(process.env.SKYDECK_AWS_MAX_ATTEMPTS) || 3,
      requestHandler: { connectionTimeout: 10_000, requestTimeout: 60_000 },
    });
    clients.set(region, c);
  }
  return c;
}
