import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signatureProblem } from '../verify.mjs';

/** The signature check alone, on the inputs a receiver meets (the live test covers the rest). */
const secret = 'whsec_test_0123456789abcdef';
const now = 1_764_590_400_000;
const t = now / 1000;
const body = Buffer.from('{"id":"e1","type":"documents.create","data":{"title":"Crème brûlée"}}');
const sign = (ts: number, raw: Buffer | string, key = secret) =>
  `t=${ts},v1=${createHmac('sha256', key).update(`${ts}.`).update(raw).digest('hex')}`;

describe('signatureProblem', () => {
  it('accepts a genuine, fresh signature over the raw bytes (multi-byte UTF-8 included)', () => {
    expect(signatureProblem(body, sign(t, body), secret, { now })).toBeNull();
    expect(signatureProblem(body, sign(t - 299, body), secret, { now })).toBeNull();
  });

  it('refuses a changed body, another secret, another timestamp than the one signed', () => {
    const changed = Buffer.from(body.toString().replace('Crème', 'Creme'));
    expect(signatureProblem(changed, sign(t, body), secret, { now })).toBe('bad signature');
    expect(signatureProblem(body, sign(t, body, 'whsec_other'), secret, { now })).toBe('bad signature');
    const v1 = sign(t, body).split(',')[1];
    expect(signatureProblem(body, `t=${t - 1},${v1}`, secret, { now })).toBe('bad signature');
  });

  it('refuses timestamps outside the tolerance, in the past and in the future', () => {
    expect(signatureProblem(body, sign(t - 301, body), secret, { now })).toBe('stale timestamp');
    expect(signatureProblem(body, sign(t + 301, body), secret, { now })).toBe('stale timestamp');
    expect(signatureProblem(body, sign(t - 30, body), secret, { now, toleranceSeconds: 10 })).toBe('stale timestamp');
  });

  it('refuses missing and malformed headers without throwing', () => {
    for (const header of [
      undefined,
      '',
      'garbage',
      `t=${t}`,
      'v1=abcd',
      `t=soon,v1=${'0'.repeat(64)}`,
      `t=${t}.5,v1=00`,
    ])
      expect(signatureProblem(body, header, secret, { now })).toBe('missing signature');
    for (const v1 of ['zz', '0'.repeat(63), '0'.repeat(128), 'ä'])
      expect(signatureProblem(body, `t=${t},v1=${v1}`, secret, { now })).toBe('bad signature');
  });
});
