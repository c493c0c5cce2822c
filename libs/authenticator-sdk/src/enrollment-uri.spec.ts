import { AuthenticatorError } from './errors';
import { parseEnrollmentUri } from './enrollment-uri';

describe('parseEnrollmentUri', () => {
  it.each([
    [
      'the gateway’s own form (percent-encoded values)',
      'mfa-push://enroll?v=1&ticket=abc&base_url=http%3A%2F%2F127.0.0.1%3A3000&issuer=MFA%20Gateway&label=alice',
      { ticket: 'abc', baseUrl: 'http://127.0.0.1:3000', issuer: 'MFA Gateway', label: 'alice' },
    ],
    [
      'URLSearchParams encoding (+ for space), https with a path, trailing slash dropped',
      'mfa-push://enroll?v=1&ticket=t-1_x&base_url=https%3A%2F%2Fmfa.example.com%2Fgw%2F&issuer=Acme+Corp&label=bob%40example.com',
      { ticket: 't-1_x', baseUrl: 'https://mfa.example.com/gw', issuer: 'Acme Corp', label: 'bob@example.com' },
    ],
    [
      'parameters in any order, unknown ones ignored, scheme and host case-insensitive, whitespace from a scanner trimmed',
      '  MFA-PUSH://Enroll/?label=l%C3%A9a&future=1&base_url=HTTPS%3A%2F%2Fh.example&ticket=T%2BK&v=1\n',
      { ticket: 'T+K', baseUrl: 'https://h.example', issuer: '', label: 'léa' },
    ],
    [
      'issuer and label optional',
      'mfa-push://enroll?v=1&ticket=abc&base_url=http%3A%2F%2Flocalhost%3A3000',
      { ticket: 'abc', baseUrl: 'http://localhost:3000', issuer: '', label: '' },
    ],
  ])('parses %s', (_title, uri, expected) => {
    expect(parseEnrollmentUri(uri)).toEqual(expected);
  });

  it.each([
    ['another scheme', 'otpauth://totp/x?secret=ABC&issuer=y', /scheme/],
    ['https instead of mfa-push', 'https://enroll?v=1&ticket=a&base_url=http%3A%2F%2Fh', /scheme/],
    ['another host', 'mfa-push://login?v=1&ticket=a&base_url=http%3A%2F%2Fh', /mfa-push:\/\/login/],
    ['a path after the host', 'mfa-push://enroll/more?v=1&ticket=a&base_url=http%3A%2F%2Fh', /not an enrollment URI/],
    ['version 2', 'mfa-push://enroll?v=2&ticket=a&base_url=http%3A%2F%2Fh', /version "2"/],
    ['no version', 'mfa-push://enroll?ticket=a&base_url=http%3A%2F%2Fh', /no version/],
    ['no ticket', 'mfa-push://enroll?v=1&base_url=http%3A%2F%2Fh', /no ticket/],
    ['an empty ticket', 'mfa-push://enroll?v=1&ticket=&base_url=http%3A%2F%2Fh', /no ticket/],
    ['no base_url', 'mfa-push://enroll?v=1&ticket=a', /no base_url/],
    ['a javascript: base_url', 'mfa-push://enroll?v=1&ticket=a&base_url=javascript%3Aalert(1)', /http\(s\)/],
    ['an ftp base_url', 'mfa-push://enroll?v=1&ticket=a&base_url=ftp%3A%2F%2Fh', /http\(s\)/],
    ['a base_url with credentials', 'mfa-push://enroll?v=1&ticket=a&base_url=http%3A%2F%2Fu%3Ap%40evil.example', /http\(s\)/],
    ['a base_url with a query', 'mfa-push://enroll?v=1&ticket=a&base_url=http%3A%2F%2Fh%2F%3Fx%3D1', /http\(s\)/],
    ['a relative base_url', 'mfa-push://enroll?v=1&ticket=a&base_url=%2Fdevice', /http\(s\)/],
    ['a repeated ticket (which one would we send?)', 'mfa-push://enroll?v=1&ticket=a&ticket=b&base_url=http%3A%2F%2Fh', /twice/],
    ['broken percent-encoding', 'mfa-push://enroll?v=1&ticket=%E0%A4%A&base_url=http%3A%2F%2Fh', /percent-encoding/],
    ['not a URI at all', 'hello', /not an enrollment URI/],
    ['an empty string', '', /not an enrollment URI/],
  ])('refuses %s', (_title, uri, message) => {
    let error: unknown;
    try {
      parseEnrollmentUri(uri);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AuthenticatorError);
    expect((error as AuthenticatorError).code).toBe('invalid_enrollment_uri');
    expect((error as AuthenticatorError).message).toMatch(message);
  });
});
