/**
 * SkyPilot's config file (`~/.sky/config.yaml`, `.sky.yaml`, `SKYDECK_HOME/config.yaml`, the
 * task's `config:` and `--config FILE`): SkyPilot's get_config_schema() (skypilot-behavior.md
 * 1.8), source of schemas/config.schema.json.
 *
 * Blocks are closed (`additionalProperties: false`) as SkyPilot's API server checks them: SkyDeck
 * is its own server and loads no plugins, so a key SkyPilot's client would only pass through is
 * one nobody would ever read. Open where SkyPilot never checks (pod_config, custom_metadata,
 * workspaces, plugins, rbac, daemons).
 */
import type { JSONSchema } from './jsonSchema';
import { configProperties } from './configProperties';
import { taskSchema } from './taskSchema';

export const configSchema: JSONSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://skydeck.dev/schemas/config.schema.json',
  title: 'SkyPilot config (~/.sky/config.yaml)',
  description: 'SkyPilot configuration: ~/.sky/config.yaml (user), .sky.yaml (project), SKYDECK_HOME/config.yaml.',
  type: 'object',
  additionalProperties: false,
  properties: configProperties,
  definitions: { resources: taskSchema.definitions?.resources as JSONSchema, resourcesCandidate: taskSchema.definitions?.resourcesCandidate as JSONSchema },
};
