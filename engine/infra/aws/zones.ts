/**
 * SkyPilot's AWS catalog lists zones by AZ id (use1-az6), which is the same physical zone
 * for every account; EC2 calls take the account's zone name (us-east-1a). Map ids to names
 * with DescribeAvailabilityZones; names pass through.
 */
import { DescribeAvailabilityZonesCommand } from '@aws-sdk/client-ec2';
import { ec2 } from './client';

const AZ_ID = /^[a-z]{2,5}\d+-az\d+$/;

export async function zoneNames(region: string, zones: readonly string[]): Promise<string[]> {
  if (!zones.some((z) => AZ_ID.test(z))) return [...zones];
  const r = await ec2(region).send(new DescribeAvailabilityZonesCommand({}));
  const byId = new Map((r.AvailabilityZones ?? []).map((z) => [z.ZoneId ?? '', z.ZoneName ?? '']));
  return zones.map((z) => byId.get(z) || z);
}
