import { request } from 'node:http';

/** Just enough of `fetch` for the test helpers' `GET /up` polling, over node:http. */
function nodeGet(input: string | URL | Request): Promise<Response> {
  const url = input instanceof Request ? input.url : String(input);
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      res.resume();
      res.on('end', () => resolve(new Response(null, { status: res.statusCode ?? 500 })));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Runs `fn` with a Node `fetch`. In happy-dom, `fetch` is the "browser's": it applies CORS and logs every
 * refused connection while the helpers poll a starting server. The hooks under test keep happy-dom's
 * fetch, so their auth requests go through real CORS against the test auth server.
 */
export async function withNodeFetch<T>(fn: () => Promise<T>): Promise<T> {
  const browserFetch = globalThis.fetch;
  globalThis.fetch = nodeGet as typeof fetch;
  try {
    return await fn();
  } finally {
    globalThis.fetch = browserFetch;
  }
}
