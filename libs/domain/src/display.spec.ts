import { describe, expect, it } from '@jest/globals';
import { maskContactDetails } from './display';

describe('maskContactDetails', () => {
  it.each([
    ['alice@example.com', 'a***@example.com'],
    ['Work (jane.doe@corp.example.org)', 'Work (j***@corp.example.org)'],
    ['+14155550123', '+1 *** *** 0123'],
    ['Phone +1 415 555-0123', 'Phone +1 *** *** 0123'],
    ['4155550123', '*** 23'],
    ["Jane's iPhone 15", "Jane's iPhone 15"],
    ['Authenticator', 'Authenticator'],
    ['build 2024-11', 'build 2024-11'],
    ['', ''],
  ])('%s → %s', (text, masked) => {
    expect(maskContactDetails(text)).toBe(masked);
  });

  it('leaves no run of seven digits and no full address in any label', () => {
    for (const text of ['a@b.co and +4930123456789', 'call 030 1234 5678 or x.y@z.de']) {
      const masked = maskContactDetails(text);
      expect(masked.replace(/\D/g, ' ')).not.toMatch(/\d{5,}/);
      expect(masked).not.toMatch(/[^*\s]@/);
    }
  });
});
