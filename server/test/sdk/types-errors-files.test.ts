import {
  fileRequests,
  HearthError,
  isHearthError,
  type AnyErrorCode,
  type ErrorReason,
  type HearthFiles,
  type SignedUrlOptions,
  type ThumbSize,
} from '@hearth/sdk';
import { describe, expect, expectTypeOf, it } from 'vitest';

/**
 * Compiler-checked (`pnpm typecheck` compiles this file): the client-side error codes narrow like
 * the server's, and signed thumbnail URLs take typed sizes and fits. `@ts-expect-error` marks a
 * call that must NOT compile.
 */
describe('SDK types: client error codes and signed thumbnail URLs', () => {
  it('isHearthError narrows the client codes (network, aborted) too', () => {
    const e: unknown = new HearthError(0, 'network', 'No answer from the server.');
    expect(isHearthError(e, 'network')).toBe(true);
    expect(isHearthError(e, 'aborted')).toBe(false);
    expect(isHearthError(e, 'not_found')).toBe(false);
    if (isHearthError(e, 'network')) expectTypeOf(e.code).toEqualTypeOf<'network'>();
    expect(new HearthError(0, 'aborted', 'Aborted.').is('aborted')).toBe(true);
    // A client code has no reasons; a server code keeps its typed ones.
    expectTypeOf<ErrorReason<'network'>>().toBeNever();
    expectTypeOf(isHearthError).toBeCallableWith(e, 'conflict', 'version');
    // @ts-expect-error a client code carries no reason
    isHearthError(e, 'network', 'version');
    // @ts-expect-error not a code
    isHearthError(e, 'offline');
    expectTypeOf<'network' | 'aborted'>().toExtend<AnyErrorCode>();
  });

  it('signedUrl takes a WxH thumbnail size and a fit', () => {
    expectTypeOf<HearthFiles['signedUrl']>().toBeCallableWith('f1', { thumb: '256x256', fit: 'contain' });
    expectTypeOf<HearthFiles['signedUrl']>().toBeCallableWith('f1', { expiresIn: 60 });
    const size: ThumbSize = '64x64';
    // @ts-expect-error not WxH
    const bad: ThumbSize = '64';
    // @ts-expect-error not a fit
    const fit: SignedUrlOptions = { thumb: '64x64', fit: 'stretch' };
    expect([size, bad, fit]).toHaveLength(3);
    expect(fileRequests('app1').signedUrl('f1', { thumb: '256x256', fit: 'inside', expiresIn: 60 })).toEqual({
      method: 'POST',
      path: '/v1/apps/app1/files/f1/url',
      body: { expiresIn: 60, thumb: '256x256', fit: 'inside' },
    });
    expect(fileRequests('app1').signedUrl('f1')).toMatchObject({ body: {} });
  });
});
