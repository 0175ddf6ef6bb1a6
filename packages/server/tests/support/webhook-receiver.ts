/** A real HTTP endpoint that receives webhooks, records every request and answers as the test says. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  readonly status: number;
}

export interface WebhookEvent {
  name: string;
  channel: string;
  [field: string]: unknown;
}

export class WebhookReceiver {
  readonly received: Received[] = [];
  /** Status to answer each request with (by arrival index); 200 beyond the list. */
  statuses: number[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r = receiver as WebhookReceiver;
        const status = r.statuses[r.received.length] ?? 200;
        r.received.push({ headers: req.headers, rawBody: Buffer.concat(chunks).toString('utf8'), status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = new WebhookReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
    return receiver;
  }

  /** The body of every request, answered or not, in order. */
  bodies(): string[] {
    return this.received.map((r) => r.rawBody);
  }

  /** Events of the successfully answered deliveries, in order. */
  events(): WebhookEvent[] {
    return this.received
      .filter((r) => r.status === 200)
      .flatMap((r) => (JSON.parse(r.rawBody) as { events: WebhookEvent[] }).events);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
