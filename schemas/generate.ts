/**
 * Writes the JSON schema files from their TypeScript source (engine/task/schema/).
 * Run: node --import tsx schemas/generate.ts   (a unit test checks the files are current)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { schemaFiles } from './files';

for (const [name, schema] of Object.entries(schemaFiles())) {
  fs.writeFileSync(path.join(__dirname, name), `${JSON.stringify(schema, null, 2)}\n`);
  process.stdout.write(`wrote schemas/${name}\n`);
}
