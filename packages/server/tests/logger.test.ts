import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, frameForLog } from '../src/shared/logger';

describe('logger', () => {
  it('writes JSON lines carrying the serverId and masks secrets', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ serverId: 'node-1', destination });
    logger.info({ app: { id: '1', secret: 'shh' } }, 'hello');
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line).toMatchObject({ serverId: 'node-1', msg: 'hello', app: { id: '1', secret: '[redacted]' } });
    expect(lines.join('')).not.toContain('shh');
  });

  it('masks auth fields in logged frames and cuts long ones', () => {
    expect(frameForLog('{"event":"pusher:signin","data":{"auth":"key:abc","user_data":"{}"}}')).toBe(
      '{"event":"pusher:signin","data":{"auth":"[redacted]","user_data":"{}"}}',
    );
    expect(frameForLog('x'.repeat(3000))).toMatch(/…\(3000 chars\)$/);
  });
});
