/** The published schema files and their content (see generate.ts). */
import { withExamples, type JSONSchema } from '../engine/task/schema/jsonSchema';
import { configSchema } from '../engine/task/schema/configSchema';
import { serviceSchemaStandalone, taskSchema } from '../engine/task/schema/taskSchema';

export function schemaFiles(): Record<string, JSONSchema> {
  const defs = taskSchema.definitions ?? {};
  return {
    'task.schema.json': taskSchema,
    // The service section on its own; its $refs point into the same definitions.
    'service.schema.json': withExamples({ ...serviceSchemaStandalone, definitions: defs }),
    'config.schema.json': withExamples(configSchema),
  };
}
