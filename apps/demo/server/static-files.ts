import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

/**
 * Serves the built front end (`dist/`) the way a Laravel app serves `public/build`; unknown
 * paths fall back to `index.html` (client-side routing). Returns false when nothing was served.
 */
export async function serveStatic(root: string, pathname: string, res: ServerResponse): Promise<boolean> {
  const relative = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
  const candidate = join(root, relative);
  if (candidate !== root && !candidate.startsWith(root + sep)) return false;
  // Client-side routes fall back to index.html; a missing asset (`/assets/x.js`) is a 404.
  const files = extname(relative) === '' ? [candidate, join(root, 'index.html')] : [candidate];
  for (const file of files) {
    try {
      const info = await stat(file);
      if (!info.isFile()) continue;
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': info.size,
      });
      createReadStream(file).pipe(res);
      return true;
    } catch {
      // Not there; try the fallback.
    }
  }
  return false;
}
