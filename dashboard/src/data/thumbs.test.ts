import { describe, expect, it } from 'vitest';
import { pickSize } from './FileThumb';

describe('thumbnail size', () => {
  const sizes = ['1024x1024', '64x64', '256x256'];
  it('is the smallest offered size covering the box at the pixel density', () => {
    expect(pickSize(sizes, 40)).toBe('64x64');
    expect(pickSize(sizes, 40, 2)).toBe('256x256');
    expect(pickSize(sizes, 300)).toBe('1024x1024');
  });
  it('is the largest when none covers it, and none when the app offers none', () => {
    expect(pickSize(sizes, 2000)).toBe('1024x1024');
    expect(pickSize(['512x128'], 256)).toBe('512x128');
    expect(pickSize([], 40)).toBeNull();
  });
});
