/**
 * `kubernetes.post_provision_runcmd`: SkyPilot runs these commands in every pod right after it
 * starts, before any of its own runtime setup. SkyDeck runs them over exec once the new pods
 * run, before the provider hands the cluster to the agent set-up; a command that fails fails
 * the launch (the pods are then deleted), naming the pod, the command and its output.
 */
import { ProvisionError } from '../provider';
import type { Transport } from '../../node/transport';

export async function runPostProvisionCommands(pods: { name: string; transport: Transport }[], commands: string[], context: string): Promise<void> {
  if (commands.length === 0) return;
  await Promise.all(
    pods.map(async ({ name, transport }) => {
      for (const command of commands) {
        const r = await transport.exec(['/bin/bash', '-c', command]);
        if (r.exitCode !== 0) {
          const out = `${r.stdout}${r.stderr}`.trim().split('\n').slice(-5).join('\n');
          throw new ProvisionError(
            'config',
            'region',
            `kubernetes.post_provision_runcmd: '${command}' exited with ${r.exitCode} in pod ${name} (context '${context}')${out ? `:\n${out}` : '.'}`,
            {
              hint: 'Fix the command in kubernetes.post_provision_runcmd of your SkyPilot config.',
            },
          );
        }
      }
    }),
  );
}
