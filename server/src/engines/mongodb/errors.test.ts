import { MongoNetworkError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { HearthError } from '../../errors.js';
import { guarded, isDuplicateKey, isUnsupported, mapMongoError } from './errors.js';

const serverError = (code: number, codeName = 'X') =>
  new MongoServerError({ ok: 0, code, codeName, errmsg: `DRIVER-SAYS failed ${code}` });
const codeOf = (e: unknown) => (e instanceof HearthError ? e.code : 'raw');

describe('mapMongoError', () => {
  it('reaching the server → unavailable, keeping the cause', () => {
    const network = new MongoNetworkError('connection closed');
    const mapped = mapMongoError(network) as HearthError;
    expect(mapped.code).toBe('unavailable');
    expect(mapped.cause).toBe(network);
    expect(codeOf(mapMongoError(new MongoServerSelectionError('no server', { type: 'Unknown' } as never)))).toBe(
      'unavailable',
    );
    const epipe = Object.assign(new Error('This socket has been ended by the other party'), { code: 'EPIPE' });
    expect(codeOf(mapMongoError(epipe))).toBe('unavailable');
  });

  it('what the data causes → invalid_request; other server errors → unavailable', () => {
    expect(codeOf(mapMongoError(serverError(2, 'BadValue')))).toBe('invalid_request');
    expect(codeOf(mapMongoError(serverError(10334, 'BSONObjectTooLarge')))).toBe('invalid_request');
    expect(codeOf(mapMongoError(serverError(238, 'NotImplemented')))).toBe('unavailable');
    expect(codeOf(mapMongoError(serverError(91, 'ShutdownInProgress')))).toBe('unavailable');
  });

  it('our own errors pass through unchanged', async () => {
    const mine = new HearthError('not_found');
    expect(mapMongoError(mine)).toBe(mine);
    const bug = new TypeError('x is undefined');
    expect(mapMongoError(bug)).toBe(bug);
    await expect(guarded(() => Promise.reject(serverError(2)))).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('classifies duplicate keys and missing commands', () => {
    expect(isDuplicateKey(serverError(11000, 'DuplicateKey'))).toBe(true);
    expect(isDuplicateKey(serverError(2))).toBe(false);
    expect(isUnsupported(serverError(59, 'CommandNotFound'))).toBe(true);
    expect(isUnsupported(serverError(27, 'IndexNotFound'))).toBe(false);
  });

  it('no driver text in the answer: code names, messages and labels stay in the cause', () => {
    const network = new MongoNetworkError('DRIVER-SAYS connection 7 to 127.0.0.1:27017 closed');
    network.addErrorLabel('RetryableWriteError');
    const errors: Error[] = [
      serverError(2, 'BadValue'),
      serverError(10334, 'BSONObjectTooLarge'),
      serverError(51091, 'RegexCompileFailed'),
      serverError(91, 'ShutdownInProgress'),
      serverError(11000, 'DuplicateKey'),
      network,
      new MongoServerSelectionError('DRIVER-SAYS server selection timed out', { type: 'Unknown' } as never),
      Object.assign(new Error('DRIVER-SAYS cannot serialize'), { name: 'BSONError' }),
      Object.assign(new Error('DRIVER-SAYS socket ended'), { code: 'EPIPE' }),
    ];
    for (const e of errors) {
      const mapped = mapMongoError(e) as HearthError;
      expect(mapped, e.message).toBeInstanceOf(HearthError);
      const body = JSON.stringify(mapped.toBody());
      for (const text of [e.message, (e as { codeName?: string }).codeName ?? e.message, 'DRIVER-SAYS', 'Retryable']) {
        expect(body).not.toContain(text);
      }
      expect(mapped.cause).toBe(e);
    }
  });
});
