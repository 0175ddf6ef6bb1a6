/**
 * A well-behaved client on the same node as the fuzzing: it subscribes to one channel and must get
 * every event triggered there, in order, whatever the fuzzer does meanwhile.
 */
import { waitFor } from '@react-reverb/test-helpers';
import { expect } from 'vitest';
import { type ApiTarget, signedRequest } from './http';
import { RawClient } from './raw-client';

export const BYSTANDER_CHANNEL = 'bystander';

export class Bystander {
  private sent = 0;

  private constructor(
    private readonly target: ApiTarget,
    readonly client: RawClient,
  ) {}

  static async join(target: ApiTarget, wsUrl: string): Promise<Bystander> {
    const client = await RawClient.open(wsUrl);
    await client.subscribe(BYSTANDER_CHANNEL);
    return new Bystander(target, client);
  }

  /** Triggers the next numbered event on the bystander's channel (through the real HTTP API). */
  async tick(): Promise<void> {
    const n = this.sent++;
    const answer = await signedRequest(this.target, 'POST', '/events', {
      body: JSON.stringify({ name: 'tick', channels: [BYSTANDER_CHANNEL], data: String(n) }),
    });
    expect(answer.status, answer.text).toBe(200);
  }

  /** Every tick so far arrived, once each, in order, and the bystander was never closed. */
  async expectAllDelivered(): Promise<void> {
    const ticks = () => this.client.all('tick', BYSTANDER_CHANNEL).map((f) => f.data);
    await waitFor(() => ticks().length >= this.sent, 10_000, `${this.sent} ticks at the bystander`);
    expect(ticks()).toEqual(Array.from({ length: this.sent }, (_, i) => String(i)));
    expect(this.client.closeCode).toBeUndefined();
    expect(this.client.all('pusher:error')).toEqual([]);
  }

  close(): void {
    this.client.close();
  }
}
