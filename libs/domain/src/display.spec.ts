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
    ['Build 1234567890', 'Build *** 90'],
    // A Unix time is left readable only as the end of an identifier, never on its own or after "+".
    ['1733600000000', '*** 00'],
    ['user+1733600000000', 'user+1 *** *** 0000'],
    // A number glued to a word, a - or a _ is still a number: "sms_" or "Mobile" says so.
    ['sms_4155550123', 'sms_*** 23'],
    ['jdoe-4155550123', 'jdoe-*** 23'],
    ['4155550123_work', '*** 23_work'],
    ['4155550123ext', '*** 23ext'],
    ['Mobile4155550123', 'Mobile*** 23'],
    // "Cafe" is spelled with hex letters, but a hex id is written in one case.
    ['Cafe4155550123', 'Cafe*** 23'],
    // Ten digits are more than a date's fraction of a second (at most 9): the date ends at the minutes.
    ['2026-12-07 10:00:00.4155550123', '2026-12-07 10:00:*** 23'],
    ['j@example.com/4155550123', 'j***@example.com/*** 23'],
    // Seven digits after a word look exactly like a number someone dials: ids of that shape are
    // masked too ("user-12345678" shows as "user-*** 78"), the price of never showing a number.
    ['user-12345678', 'user-*** 78'],
    ['user_12345678', 'user_*** 78'],
    ['user12345678', 'user*** 78'],
    ['Müller-12345678', 'Müller-*** 78'],
    ['v1.2345678', 'v*** 78'],
    // The grouped number stops where a run too long for a phone number begins.
    ['4155550123 12345678901234567890', '*** 23 12345678901234567890'],
  ])('masks what people write as a phone number: %s → %s', (text, masked) => {
    expect(maskContactDetails(text)).toBe(masked);
  });

  it.each([
    ['2026-12-07'],
    ['Backup 2026-12-07'],
    ['2026-12-07T10:00:00Z'],
    ['2026-12-07T10:00:00.123Z'],
    ['2026-12-07T10:00:00.000+01:00'],
    ['2026-12-07 10:00'],
    ['2026-12-07 10:00:00.1234567'],
    ['2026-12-07 10:00:00.123456789'],
    ['07.12.2026'],
    ['Laptop 7.12.2026'],
    ['iPhone 15 2026-12-07'],
    ['550e8400-e29b-41d4-a716-446655440000'],
    ['550E8400-E29B-41D4-A716-446655440000'],
    ['2015 550e8400-e29b-41d4-a716-446655440000'],
    ['u-64b3637100'],
    ['fac_64b3637100'],
    ['deadbeef12345678'],
    ['DEADBEEF12345678'],
    ['12345678abc'],
    ['user-1733600000000'],
    ['user-1733600000'],
    ['user_1733600000000'],
    ['e2e-user-1733600000000-3'],
    ['12345678901234567890'],
    ['order 12345678901234567890'],
    ['Jane’s Pixel 8a'],
  ])('leaves a date, a UUID, a hex id, a Unix time ending an id or a longer run alone: %s', (text) => {
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
  // Words and separators that touch the number: letters a-f can make it part of a hex token.
  const wordBefore = fc.oneof(noDigits, fc.stringMatching(/^[ -/:-~]{0,4}[A-Za-z]{0,8}[-_ .]?$/), fc.stringMatching(/^[a-fA-F]{0,4}$/));
  const wordAfter = fc.oneof(noDigits, fc.stringMatching(/^[-_ .]?[A-Za-z]{0,8}[ -/:-~]{0,4}$/), fc.stringMatching(/^[a-fA-F]{0,4}$/));
  const unixTimeShape = /^1[5-9](?:\d{8}|\d{11})$/;

  /**
   * Whether a bare number with no other digit around it takes part in a shape left readable, by
   * the contract's definitions (dates need more digits than the number has): a hex id (the whole
   * letter-or-digit token is 8+ hex characters in one case, with a letter a-f), a Unix time ending
   * an identifier, or a UUID's last group.
   */
  function inExemptShape(before: string, digits: string, after: string): boolean {
    const token = `${/[\p{L}\p{M}\p{N}]*$/u.exec(before)?.[0] ?? ''}${digits}${/^[\p{L}\p{M}\p{N}]*/u.exec(after)?.[0] ?? ''}`;
    const hexId = /^(?=.*[a-f])[\da-f]{8,}$|^(?=.*[A-F])[\dA-F]{8,}$/.test(token);
    const unixTime = unixTimeShape.test(digits) && /(?:\p{L}|\p{M}|[\p{L}\p{M}\p{N}][-_])$/u.test(before);
    const uuid = digits.length === 12 && /[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-$/i.test(before);
    return hexId || unixTime || uuid;
  }

  // A "+" defeats every exemption (none of those shapes holds a "+"), so any text may surround it.
  it('no E.164 number survives, whatever text surrounds it', () => {
    fc.assert(
      fc.property(wordBefore, fc.stringMatching(/^\+[1-9]\d{6,14}$/), wordAfter, (before, e164, after) => {
        const masked = maskContactDetails(`${before}${e164}${after}`);
        expect(masked.replace(/\D/g, '')).not.toContain(e164.slice(1));
      }),
      { numRuns: 2_000 },
    );
  });

  // Without a "+", the surrounding text may make the number part of a hex id, a Unix time ending
  // an identifier or a UUID: inExemptShape names those cases, and only those are let through.
  it('no bare run of 7 to 15 digits survives, whatever text surrounds it, unless it is part of an exempt shape', () => {
    fc.assert(
      fc.property(wordBefore, fc.stringMatching(/^\d{7,15}$/), wordAfter, (before, digits, after) => {
        fc.pre(!inExemptShape(before, digits, after));
        const masked = maskContactDetails(`${before}${digits}${after}`);
        expect(masked.replace(/\D/g, '')).not.toContain(digits);
      }),
      { numRuns: 5_000 },
    );
  });

  it('a run of 7 to 15 digits shows only its last 2, on its own or glued to a word, a - or a _', () => {
    const number = fc
      .tuple(
        fc.constantFrom('', 'Call ', 'phone: ', 'Home [', 'Mobile, ', 'Tel.', 'home/', 'Mobile', 'sms_', 'jdoe-', 'user-'),
        fc.stringMatching(/^\d{7,15}$/),
        fc.constantFrom('', ' ', ']', '.', ', ', ' home', '_work', 'ext', '-home'),
      )
      // Right after a word, a Unix time is part of an identifier ("user-1733600000000").
      .filter(([before, digits]) => !(unixTimeShape.test(digits) && /[A-Za-z][-_]?$/.test(before)));
    fc.assert(
      fc.property(number, ([before, digits, after]) => {
        expect(maskContactDetails(`${before}${digits}${after}`)).toBe(`${before}*** ${digits.slice(-2)}${after}`);
      }),
      { numRuns: 2_000 },
    );
  });

  it('dates, UUIDs, hex ids, Unix times ending an id and runs longer than a phone number are shown as they are', () => {
    const date = fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true });
    const isoDate = date.chain((d) =>
      fc.constantFrom(d.toISOString(), d.toISOString().slice(0, 10), d.toISOString().slice(0, 16).replace('T', ' ')),
    );
    const dottedDate = date.map((d) => d.toISOString().slice(0, 10).split('-').reverse().join('.'));
    const uuid = fc
      .tuple(fc.uuid(), fc.stringMatching(/^\d{12}$/), fc.boolean(), fc.boolean())
      .map(([id, digits, allDigitTail, upper]) => {
        const shaped = allDigitTail ? `${id.slice(0, 24)}${digits}` : id;
        return upper ? shaped.toUpperCase() : shaped;
      });
    const hexId = fc
      .tuple(fc.constantFrom('', 'u-', 'fac_', 'id '), fc.stringMatching(/^[\da-f]{8,24}$/), fc.boolean())
      .filter(([, hex]) => /[a-f]/.test(hex) && /\d/.test(hex))
      .map(([prefix, hex, upper]) => `${prefix}${upper ? hex.toUpperCase() : hex}`);
    const unixTimeId = fc
      .tuple(fc.stringMatching(/^[A-Za-z](?:[A-Za-z]|\d{1,3}[A-Za-z]){0,6}$/), fc.constantFrom('', '-', '_'), fc.stringMatching(/^1[5-9](?:\d{8}|\d{11})$/))
      .map(([word, separator, time]) => `${word}${separator}${time}`);
    const longRun = fc.stringMatching(/^\d{16,30}$/);
    fc.assert(
      fc.property(fc.oneof(isoDate, dottedDate, uuid, hexId, unixTimeId, longRun), (text) => {
        expect(maskContactDetails(text)).toBe(text);
      }),
      { numRuns: 2_000 },
    );
  });

  it.each([
    ['digits followed by a letter', `${'1'.repeat(50_000)}x`, `${'1'.repeat(50_000)}x`],
    ['digits followed by a hex letter', `${'1'.repeat(50_000)}a`, `${'1'.repeat(50_000)}a`],
    ['digits with separators', `${'415 555-0123.'.repeat(3_846)}x`, '*** 23.x'],
    ['single digits between separators', `${'1-'.repeat(25_000)}x`, '*** 11-x'],
    ['an @ and a long domain without a dot', `a@${'b'.repeat(50_000)}`, `a@${'b'.repeat(50_000)}`],
  ])('answers in linear time on 50,000 characters of %s', (_, text, masked) => {
    const started = Date.now();
    expect(maskContactDetails(text)).toBe(masked);
    expect(Date.now() - started).toBeLessThan(100);
  });
});
