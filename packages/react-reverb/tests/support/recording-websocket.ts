import WebSocket from 'ws';

/** What one client put on the wire. */
export interface WireLog {
  sockets: number;
  readonly sent: Array<{ event: string; channel?: string }>;
  count(event: string, channel: string): number;
}

/** The real `ws` client, subclassed only to log outgoing frames (the Pusher envelope's event and channel). */
export function recordingWebSocket(): { WebSocket: new (url: string) => WebSocket; log: WireLog } {
  const log: WireLog = {
    sockets: 0,
    sent: [],
    count: (event, channel) =>
      log.sent.filter((f) => f.event === event && (f.channel ?? '') === channel).length,
  };
  class RecordingWebSocket extends WebSocket {
    constructor(url: string) {
      super(url);
      log.sockets++;
    }
    override send(data: unknown, ...rest: unknown[]): void {
      const frame = JSON.parse(String(data)) as {
        event: string;
        channel?: string;
        data?: { channel?: string };
      };
      const channel = frame.channel ?? frame.data?.channel;
      log.sent.push({ event: frame.event, ...(channel === undefined ? {} : { channel }) });
      (super.send as (...a: unknown[]) => void)(data, ...rest);
    }
  }
  return { WebSocket: RecordingWebSocket, log };
}
