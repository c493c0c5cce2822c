import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
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

  it.each([
    ['+1 415 555-0123', '+1 *** *** 0123'],
    ['+14155550123', '+1 *** *** 0123'],
    ['Call me at 4155550123', 'Call me at *** 23'],
    ['(415) 555-0123', '*** 23'],
    ['alice +44 7700 900123', 'alice +44 *** *** 0123'],
    ['0151 1234567', '*** 67'],
    ['phone: 4155550123', 'phone: *** 23'],
    ['tel:+14155550123', 'tel:+1 *** *** 0123'],
    ['Tel.4155550123', 'Tel.*** 23'],
    ['415.555.0123', '*** 23'],
    ['home/4155550123', 'home/*** 23'],
    ['Pixel [4155550123]', 'Pixel [*** 23]'],
    ['4155550123, 4155550124', '*** 23, *** 24'],
    ['030 1234 5678', '*** 78'],
    ['07.12.2026 +49 30 1234 5678', '07.12.2026 +49 *** *** 5678'],
    // A "+" starts a phone number wherever it stands, even glued to a word.
    ['alice+14155550123', 'alice+1 *** *** 0123'],
    ['+14155550123ext', '+1 *** *** 0123ext'],
    ['2026-12-07 4155550123', '2026-12-07 *** 23'],
    // Indistinguishable from "Mobile 4155550123": a bare number after a word is masked.
    ['Build 1234567890', 'Build *** 90'],
    ['1733600000000', '*** 00'],
  ])('masks what people write as a phone number: %s → %s', (text, masked) => {
    expect(maskContactDetails(text)).toBe(masked);
  });

  it.each([
    ['2026-12-07'],
    ['Backup 2026-12-07'],
    ['2026-12-07T10:00:00Z'],
    ['2026-12-07T10:00:00.000+01:00'],
    ['2026-12-07 10:00'],
    ['2026-12-07 10:00:00.1234567'],
    ['07.12.2026'],
    ['Laptop 7.12.2026'],
    ['user-12345678'],
    ['user_12345678'],
    ['user12345678'],
    ['user-1733600000000'],
    ['e2e-user-1733600000000-3'],
    ['u-64b3637100'],
    ['550e8400-e29b-41d4-a716-446655440000'],
    ['v1.2345678'],
    ['12345678abc'],
    ['Müller-12345678'],
    ['Jane’s Pixel 8a'],
  ])('leaves digits of an identifier or a date alone: %s', (text) => {
    expect(maskContactDetails(text)).toBe(text);
  });

  it('leaves no run of seven digits and no full address in any label', () => {
    for (const text of ['a@b.co and +4930123456789', 'call 030 1234 5678 or x.y@z.de']) {
      const masked = maskContactDetails(text);
      expect(masked.replace(/\D/g, ' ')).not.toMatch(/\d{5,}/);
      expect(masked).not.toMatch(/[^*\s]@/);
    }
  });

  const noDigits = fc.string({ maxLength: 20 }).map((s) => s.replace(/\d/g, ''));

  it('no E.164 number survives, whatever text surrounds it', () => {
    fc.assert(
      fc.property(noDigits, fc.stringMatching(/^\+[1-9]\d{6,14}$/), noDigits, (before, e164, after) => {
        const masked = maskContactDetails(`${before}${e164}${after}`);
        expect(masked.replace(/\D/g, '')).not.toContain(e164.slice(1));
      }),
      { numRuns: 2_000 },
    );
  });

  it('no run of seven or more digits written on its own survives', () => {
    const standalone = fc.tuple(
      fc.constantFrom('', 'Call ', 'phone: ', 'Home [', 'Mobile, ', 'Tel.', 'home/'),
      fc.stringMatching(/^\d{7,15}$/),
      fc.constantFrom('', ' ', ']', '.', ', ', ' home'),
    );
    fc.assert(
      fc.property(standalone, ([before, digits, after]) => {
        expect(maskContactDetails(`${before}${digits}${after}`)).toBe(`${before}*** ${digits.slice(-2)}${after}`);
      }),
      { numRuns: 2_000 },
    );
  });

  it('identifiers and ISO dates are shown as they are', () => {
    const identifier = fc
      .tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,10}$/), fc.constantFrom('', '-', '_'), fc.stringMatching(/^\d{1,20}$/))
      .map(([word, separator, digits]) => `${word}${separator}${digits}`);
    const isoDate = fc
      .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
      .chain((date) => fc.constantFrom(date.toISOString(), date.toISOString().slice(0, 10), date.toISOString().slice(0, 16).replace('T', ' ')));
    fc.assert(
      fc.property(fc.oneof(identifier, isoDate), (text) => {
        expect(maskContactDetails(text)).toBe(text);
      }),
      { numRuns: 2_000 },
    );
  });

  it('answers in linear time on a long run of digits it refuses', () => {
    const started = Date.now();
    expect(maskContactDetails(`${'1'.repeat(200)}a`)).toBe(`${'1'.repeat(200)}a`);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
