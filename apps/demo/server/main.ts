import { existsSync } from 'node:fs';
import { createDemoBackend } from './app';
import { DIST_DIR, settingsFromEnv } from './config';
import { UserDirectory } from './users';

/** Runs the backend alone (`pnpm backend`); `--static` also serves the built front end. */
const settings = settingsFromEnv();
const serveBuilt = process.argv.includes('--static') && existsSync(DIST_DIR);
const backend = createDemoBackend({
  users: await UserDirectory.seeded(),
  reverb: settings.reverb,
  reminderIntervalMs: settings.reminderIntervalMs,
  kick: settings.kick,
  ...(serveBuilt ? { staticDir: DIST_DIR } : {}),
});
const url = await backend.listen(settings.backendPort);
console.log(`[backend] listening on ${url}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void backend.close().then(() => process.exit(0)));
}
