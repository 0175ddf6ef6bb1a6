/** The body of a form POST (what pusher-js and Echo send to the app's auth endpoints), read whole. */
import type { IncomingMessage } from 'node:http';

export function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => resolve(new URLSearchParams(body)));
  });
}
