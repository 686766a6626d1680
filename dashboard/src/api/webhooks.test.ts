import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVENT_PATTERN, WEBHOOK_EVENTS } from './webhooks';

/** The events picker checks what the server will accept: the same pattern, the same suggestions. */
describe('webhook events', () => {
  const schema = readFileSync(
    new URL('../../../server/src/modules/webhooks/webhooks.schema.ts', import.meta.url),
    'utf8',
  );

  it('uses the server’s event pattern', () => {
    expect(schema.replace(/\s+/g, '')).toContain(`EVENT_PATTERN=${EVENT_PATTERN.toString()}`);
  });

  it('suggests only events the server accepts, and refuses others', () => {
    for (const e of WEBHOOK_EVENTS) expect(EVENT_PATTERN.test(e), e).toBe(true);
    expect(EVENT_PATTERN.test('documents.create:orders')).toBe(true);
    for (const bad of ['documents.created', 'files.update', 'users', 'documents.*:1abc', '']) {
      expect(EVENT_PATTERN.test(bad), bad).toBe(false);
    }
  });
});
