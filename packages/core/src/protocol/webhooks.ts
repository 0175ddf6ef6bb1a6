/** Webhook bodies (docs/protocol.md §8). */
export type WebhookEvent =
  | { readonly name: 'channel_occupied' | 'channel_vacated' | 'cache_miss'; readonly channel: string }
  | { readonly name: 'member_added' | 'member_removed'; readonly channel: string; readonly user_id: string }
  | {
      readonly name: 'client_event';
      readonly channel: string;
      readonly event: string;
      readonly data: string;
      readonly socket_id: string;
      readonly user_id?: string;
    }
  | { readonly name: 'subscription_count'; readonly channel: string; readonly subscription_count: number }
  /**
   * docs/protocol.md §11.2 (ours): sent once per cluster when `session_id` was replaced by
   * `replaced_by`.
   */
  | {
      readonly name: 'session_replaced';
      readonly user_id: string;
      readonly session_id: string;
      readonly replaced_by: string;
    };

export type WebhookEventName = WebhookEvent['name'];

export interface WebhookBody {
  /** Creation time, Unix milliseconds. */
  readonly time_ms: number;
  readonly events: readonly WebhookEvent[];
}

/** The node SDK compares the whole header: no charset. */
export const WEBHOOK_CONTENT_TYPE = 'application/json';
