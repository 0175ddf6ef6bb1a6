/**
 * Writes the settings table (src/config/settings.ts) into the root README.md (between its
 * `<!-- settings:… -->` markers) and the root .env.example. Run after changing the table:
 * `pnpm --filter @react-reverb/server settings:docs`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envExample, updateReadme } from '../src/config/settings-docs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const readmePath = resolve(root, 'README.md');
writeFileSync(readmePath, updateReadme(readFileSync(readmePath, 'utf8')));
writeFileSync(resolve(root, '.env.example'), envExample());
process.stdout.write(`wrote ${readmePath} and ${resolve(root, '.env.example')}\n`);
