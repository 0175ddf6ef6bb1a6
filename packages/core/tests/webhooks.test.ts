import fc from 'fast-check';
import Pusher from 'pusher';
import { describe, expect, it } from 'vitest';
import { WEBHOOK_CONTENT_TYPE } from '../src/protocol';
import { signWebhook, verifyWebhook } from '../src/signing';

const DEMO = { appId: '4242', key: 'demo-key-0001', secret: 'demo-secret-0001' };
const BODY = '{"time_ms":1700000000123,"events":[{"name":"channel_occupied","channel":"orders"}]}';

describe('docs/protocol.md §8 webhook signature', () => {
  it('reproduces the demo vector', () => {
    expect(signWebhook(DEMO.secret, BODY)).toBe(
      '764deb0cbf7059976fab7a401b68a235230a0e17a060e26256000dd213c1077b',
    );
    expect(
      verifyWebhook(DEMO.secret, BODY, '764deb0cbf7059976fab7a401b68a235230a0e17a060e26256000dd213c1077b'),
    ).toBe(true);
  });

  it('refuses a changed body, signature or secret', () => {
    const signature = signWebhook(DEMO.secret, BODY);
    expect(verifyWebhook(DEMO.secret, `${BODY} `, signature)).toBe(false);
    expect(verifyWebhook('other', BODY, signature)).toBe(false);
    expect(verifyWebhook(DEMO.secret, BODY, signature.slice(1))).toBe(false);
    expect(verifyWebhook(DEMO.secret, BODY, '')).toBe(false);
  });
});

describe('cross-check with pusher.webhook()', () => {
  const pusher = new Pusher({ ...DEMO, host: '127.0.0.1' });

  it('the SDK accepts what we sign, with our exact content type', () => {
    const webhook = pusher.webhook({
      headers: {
        'content-type': WEBHOOK_CONTENT_TYPE,
        'x-pusher-key': DEMO.key,
        'x-pusher-signature': signWebhook(DEMO.secret, BODY),
      },
      rawBody: BODY,
    });
    expect(webhook.isValid()).toBe(true);
    expect(webhook.getEvents()).toEqual([{ name: 'channel_occupied', channel: 'orders' }]);
  });

  it('the SDK refuses a charset in the content type, so we must not send one', () => {
    const webhook = pusher.webhook({
      headers: {
        'content-type': `${WEBHOOK_CONTENT_TYPE}; charset=utf-8`,
        'x-pusher-key': DEMO.key,
        'x-pusher-signature': signWebhook(DEMO.secret, BODY),
      },
      rawBody: BODY,
    });
    expect(webhook.isValid()).toBe(false);
  });

  it('property: the SDK and we agree on every body', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.boolean(), (text, tamper) => {
        const body = JSON.stringify({ time_ms: 1, events: [{ name: 'client_event', data: text }] });
        const signature = signWebhook(DEMO.secret, body);
        const sent = tamper ? `${signature.slice(0, -1)}${signature.endsWith('a') ? 'b' : 'a'}` : signature;
        const ours = verifyWebhook(DEMO.secret, body, sent);
        const theirs = pusher
          .webhook({
            headers: {
              'content-type': 'application/json',
              'x-pusher-key': DEMO.key,
              'x-pusher-signature': sent,
            },
            rawBody: body,
          })
          .isValid();
        expect(ours).toBe(!tamper);
        expect(theirs).toBe(ours);
      }),
      { numRuns: 100 },
    );
  });
});
