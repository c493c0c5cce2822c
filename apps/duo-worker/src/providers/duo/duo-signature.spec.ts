import * as official from '@duosecurity/duo_api/lib/duo_sig';
import { authorizationV2, canonicalize, canonParams, type DuoParams } from './duo-signature';
import { DuoAuthClient } from './duo-auth-client';

/**
 * Our signature v2 against `@duosecurity/duo_api` 1.5's own signing function as the oracle: the
 * same Authorization header for the same request, for every kind of parameter that occurs.
 */
const IKEY = 'DIWJ8X6AEYOR5OMC8HE1';
const SKEY = 'Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep';
const HOST = 'api-XXXXXXXX.duosecurity.com';
const DATE = 'Tue, 21 Aug 2012 17:29:18 -0000';

const CASES: { name: string; method: string; path: string; params: DuoParams }[] = [
  { name: 'no parameters', method: 'GET', path: '/auth/v2/check', params: {} },
  { name: 'preauth', method: 'POST', path: '/auth/v2/preauth', params: { username: 'alice' } },
  {
    name: 'async push with pushinfo, ipaddr and a type with a space',
    method: 'POST',
    path: '/auth/v2/auth',
    params: { username: 'alice@example.com', factor: 'push', device: 'auto', async: '1', ipaddr: '203.0.113.9', type: 'Login request', pushinfo: 'application=Acme%20Portal&ip=203.0.113.9' },
  },
  { name: "RFC 3986 reserved characters !'()* and ~", method: 'POST', path: '/auth/v2/auth', params: { username: "o'neil (admin)*!~", factor: 'passcode', passcode: '123456' } },
  { name: 'non-ASCII', method: 'POST', path: '/auth/v2/preauth', params: { username: 'jörg.müller', 'ключ': 'значение', emoji: '🔐' } },
  { name: 'sorting: prefix first, upper case before lower case', method: 'GET', path: '/auth/v2/auth_status', params: { foo_bar: '2', foo: '1', Foo: '0', txid: 'abc' } },
  { name: 'repeated parameter', method: 'POST', path: '/admin/v1/x', params: { a: ['2', '1'], b: '' } },
  { name: 'lower-case method', method: 'post', path: '/auth/v2/preauth', params: { username: 'bob' } },
];

describe('Duo signature v2', () => {
  it.each(CASES)('canonicalizes and signs like the official client: $name', ({ method, path, params }) => {
    const mutable = params as Record<string, string | string[]>;
    expect(canonParams(params)).toBe(official._canonParams(mutable));
    expect(canonicalize({ method, host: HOST, path, params, date: DATE })).toBe(official._canonicalize(method, HOST, path, mutable, DATE));
    expect(authorizationV2(IKEY, SKEY, { method, host: HOST, path, params, date: DATE })).toBe(official.sign(IKEY, SKEY, method, HOST, path, mutable, DATE));
  });

  it('uses HMAC-SHA512 (a 128-hex-digit signature), not the HMAC-SHA1 of old clients', () => {
    const header = authorizationV2(IKEY, SKEY, { method: 'GET', host: HOST, path: '/auth/v2/check', params: {}, date: DATE });
    const [ikey, signature] = Buffer.from(header.replace('Basic ', ''), 'base64').toString('utf8').split(':');
    expect(ikey).toBe(IKEY);
    expect(signature).toMatch(/^[0-9a-f]{128}$/);
  });

  it('changes when any signed part changes', () => {
    const base = { method: 'POST', host: HOST, path: '/auth/v2/preauth', params: { username: 'alice' }, date: DATE };
    const signed = authorizationV2(IKEY, SKEY, base);
    for (const changed of [
      { ...base, method: 'GET' },
      { ...base, host: 'api-other.duosecurity.com' },
      { ...base, path: '/auth/v2/auth' },
      { ...base, params: { username: 'mallory' } },
      { ...base, date: 'Tue, 21 Aug 2012 17:29:19 -0000' },
    ]) {
      expect(authorizationV2(IKEY, SKEY, changed)).not.toBe(signed);
    }
    expect(authorizationV2(IKEY, `${SKEY}x`, base)).not.toBe(signed);
  });

  it('the client sends exactly what the official client signs: Date header, host of DUO_API_HOST, body parameters', async () => {
    const sent: { url: string; init: RequestInit }[] = [];
    const client = new DuoAuthClient({
      integrationKey: IKEY,
      secretKey: SKEY,
      apiHost: HOST,
      baseUrl: 'http://127.0.0.1:9/proxy/',
      fetch: async (url, init) => {
        sent.push({ url: String(url), init: init as RequestInit });
        return new Response(JSON.stringify({ stat: 'OK', response: { txid: 't-1' } }), { status: 200 });
      },
    });
    await client.authAsync({ username: "o'neil", factor: 'push', device: 'auto', pushinfo: 'application=Acme', type: 'Login request' });
    await client.authStatus('t-1');

    const [post, get] = sent;
    const postHeaders = post?.init.headers as Record<string, string>;
    expect(post?.url).toBe('http://127.0.0.1:9/proxy/auth/v2/auth');
    expect(postHeaders['Content-Type']).toBe('application/x-www-form-urlencoded');
    const body = Object.fromEntries(new URLSearchParams(String(post?.init.body)));
    expect(body).toEqual({ username: "o'neil", factor: 'push', device: 'auto', pushinfo: 'application=Acme', type: 'Login request', async: '1' });
    expect(postHeaders.Date).toBe(new Date(postHeaders.Date as string).toUTCString());
    expect(postHeaders.Authorization).toBe(official.sign(IKEY, SKEY, 'POST', HOST, '/auth/v2/auth', body, postHeaders.Date as string));

    const getHeaders = get?.init.headers as Record<string, string>;
    expect(get?.url).toBe('http://127.0.0.1:9/proxy/auth/v2/auth_status?txid=t-1');
    expect(get?.init.body).toBeUndefined();
    expect(getHeaders.Authorization).toBe(official.sign(IKEY, SKEY, 'GET', HOST, '/auth/v2/auth_status', { txid: 't-1' }, getHeaders.Date as string));
  });
});
