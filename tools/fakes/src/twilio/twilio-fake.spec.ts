import twilio, { RestException } from 'twilio';
import { RedirectingRequestClient } from './redirecting-request-client';
import { TwilioFake } from './twilio-fake';

const FROM = '+15005550006';
const TO = '+4915123456789';

describe('TwilioFake with the real twilio SDK', () => {
  const fake = new TwilioFake();

  const sdk = (authToken = fake.authToken) =>
    twilio(fake.accountSid, authToken, {
      autoRetry: false,
      httpClient: new RedirectingRequestClient(fake.url, { autoRetry: false }),
    });

  const rejection = async (promise: Promise<unknown>): Promise<RestException> => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof RestException)) throw new Error(`expected a RestException, got ${String(error)}`);
    return error;
  };

  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset());

  it('records an SMS sent through messages.create and answers with a queued Message resource', async () => {
    const message = await sdk().messages.create({ to: TO, from: FROM, body: 'Ihr Code: 123456' });

    expect(message.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(message.status).toBe('queued');
    expect(message.accountSid).toBe(fake.accountSid);
    expect(message.direction).toBe('outbound-api');
    expect(message.numSegments).toBe('1');
    expect(message.dateCreated).toBeInstanceOf(Date);
    expect(Number.isNaN(message.dateCreated.getTime())).toBe(false);
    const recorded = await fake.waitForMessage((m) => m.sid === message.sid);
    expect(recorded).toMatchObject({ to: TO, from: FROM, body: 'Ihr Code: 123456' });
  });

  it('lets the SDK fetch a sent message back by sid', async () => {
    const client = sdk();
    const sent = await client.messages.create({ to: TO, messagingServiceSid: 'MG' + '0'.repeat(32), body: 'hi' });
    const fetched = await client.messages(sent.sid).fetch();
    expect(fetched).toMatchObject({ sid: sent.sid, to: TO, status: 'accepted', messagingServiceSid: 'MG' + '0'.repeat(32) });
  });

  it('records a voice call with its TwiML', async () => {
    const twiml = '<Response><Say language="de-DE">1 2 3</Say></Response>';
    const call = await sdk().calls.create({ to: TO, from: FROM, twiml });

    expect(call.sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(call.status).toBe('queued');
    expect(call.to).toBe(TO);
    const recorded = await fake.waitForCall((c) => c.sid === call.sid);
    expect(recorded).toMatchObject({ to: TO, from: FROM, twiml });
  });

  it('rejects a wrong auth token with 401 / 20003 and records nothing', async () => {
    const error = await rejection(sdk('wrong-token').messages.create({ to: TO, from: FROM, body: 'x' }));
    expect(error.status).toBe(401);
    expect(error.code).toBe(20003);
    expect(error.message).toBe('Authenticate');
    expect(error.moreInfo).toBe('https://www.twilio.com/docs/errors/20003');
    expect(fake.messages).toHaveLength(0);
  });

  it('answers a non-E.164 recipient with 400 / 21211', async () => {
    const error = await rejection(sdk().messages.create({ to: '0151 2345678', from: FROM, body: 'x' }));
    expect(error.status).toBe(400);
    expect(error.code).toBe(21211);
    expect(error.message).toBe("The 'To' number 0151 2345678 is not a valid phone number.");
  });

  it('injects an invalid-number failure for the next request only', async () => {
    fake.failNext(1, 'invalid_number');
    const error = await rejection(sdk().messages.create({ to: TO, from: FROM, body: 'x' }));
    expect(error.status).toBe(400);
    expect(error.code).toBe(21211);
    await expect(sdk().messages.create({ to: TO, from: FROM, body: 'x' })).resolves.toMatchObject({ status: 'queued' });
    expect(fake.messages).toHaveLength(1);
  });

  it('injects throttling as 429 / 20429', async () => {
    fake.failNext(1, 'too_many_requests');
    const error = await rejection(sdk().calls.create({ to: TO, from: FROM, twiml: '<Response/>' }));
    expect(error.status).toBe(429);
    expect(error.code).toBe(20429);
    expect(fake.calls).toHaveLength(0);
  });

  it('injects a server error as 500 / 20500', async () => {
    fake.failNext(1, 'server_error');
    const error = await rejection(sdk().messages.create({ to: TO, from: FROM, body: 'x' }));
    expect(error.status).toBe(500);
    expect(error.code).toBe(20500);
  });

  it('injects a custom status, code and message', async () => {
    fake.failNext(1, { status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' });
    const error = await rejection(sdk().messages.create({ to: TO, from: FROM, body: 'x' }));
    expect(error).toMatchObject({ status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' });
  });

  it('fails every request during an outage and recovers after it', async () => {
    fake.failFor(150, 'server_error');
    const client = sdk();
    for (let i = 0; i < 3; i++) {
      expect((await rejection(client.messages.create({ to: TO, from: FROM, body: 'x' }))).status).toBe(500);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(client.messages.create({ to: TO, from: FROM, body: 'x' })).resolves.toMatchObject({ status: 'queued' });
  });

  it('lists messages by To, From and DateSent>, newest first, across pages', async () => {
    const client = sdk();
    const old = await client.messages.create({ to: TO, from: FROM, body: 'old' });
    // The SDK sends whole seconds (`2025-01-01T12:00:00Z`), as Twilio compares them.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const since = new Date();
    const first = await client.messages.create({ to: TO, from: FROM, body: 'first' });
    const second = await client.messages.create({ to: TO, from: FROM, body: 'second' });
    await client.messages.create({ to: '+4915199999999', from: FROM, body: 'other number' });
    await client.messages.create({ to: TO, from: '+15005550001', body: 'other sender' });

    const listed = await client.messages.list({ to: TO, from: FROM, dateSentAfter: since, pageSize: 1 });
    expect(listed.map((m) => m.sid)).toEqual([second.sid, first.sid]);
    expect(listed[0]).toMatchObject({ to: TO, from: FROM, body: 'second' });
    expect((await client.messages.list({ to: TO, from: FROM })).map((m) => m.sid)).toEqual([second.sid, first.sid, old.sid]);
    expect(await client.messages.list({ to: TO, from: FROM, dateSentAfter: new Date(Date.now() + 60_000) })).toEqual([]);
  });

  it('lists calls by To, From and StartTime>', async () => {
    const client = sdk();
    const since = new Date(Date.now() - 1_000);
    const call = await client.calls.create({ to: TO, from: FROM, twiml: '<Response/>' });
    await client.messages.create({ to: TO, from: FROM, body: 'not a call' });
    expect((await client.calls.list({ to: TO, from: FROM, startTimeAfter: since })).map((c) => c.sid)).toEqual([call.sid]);
    expect(await client.calls.list({ to: TO, from: FROM, startTimeAfter: new Date(Date.now() + 60_000) })).toEqual([]);
  });

  it('accepts a create at once but answers it late when told to', async () => {
    fake.answerSlowly(1, 300);
    const slow = twilio(fake.accountSid, fake.authToken, {
      autoRetry: false,
      httpClient: new RedirectingRequestClient(fake.url, { autoRetry: false, timeout: 100 }),
    });
    await expect(slow.messages.create({ to: TO, from: FROM, body: 'late' })).rejects.toMatchObject({ code: 'ECONNABORTED' });
    expect(fake.messages).toEqual([expect.objectContaining({ to: TO, body: 'late' })]);
    // Only the next create was slow.
    await expect(slow.messages.create({ to: TO, from: FROM, body: 'on time' })).resolves.toMatchObject({ status: 'queued' });
  });
});

describe('TwilioFake over raw HTTP (what the SDK validates before sending)', () => {
  const fake = new TwilioFake();
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset());

  const post = (resource: string, form: Record<string, string>, accountSid = fake.accountSid) =>
    fetch(`${fake.url}/2010-04-01/Accounts/${accountSid}/${resource}`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`${fake.accountSid}:${fake.authToken}`).toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(form).toString(),
    });

  it.each([
    [{ From: FROM, Body: 'x' }, 21604, "A 'To' phone number is required."],
    [{ To: TO, Body: 'x' }, 21603, "A 'From' phone number is required."],
    [{ To: TO, From: FROM }, 21602, 'Message body is required.'],
    [{ To: TO, From: FROM, Body: 'x'.repeat(1601) }, 21617, 'The concatenated message body exceeds the 1600 character limit.'],
  ])('refuses message %j with 400 / %i', async (form, code, message) => {
    const res = await post('Messages.json', form);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status: 400 });
  });

  it.each([
    [{ From: FROM, Twiml: '<Response/>' }, 21201],
    [{ To: TO, Twiml: '<Response/>' }, 21213],
    [{ To: TO, From: FROM }, 21205],
  ])('refuses call %j with 400 / %i', async (form, code) => {
    const res = await post('Calls.json', form);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: number }).code).toBe(code);
  });

  const get = (resource: string, query: Record<string, string>) =>
    fetch(`${fake.url}/2010-04-01/Accounts/${fake.accountSid}/${resource}?${new URLSearchParams(query).toString()}`, {
      headers: { Authorization: `Basic ${Buffer.from(`${fake.accountSid}:${fake.authToken}`).toString('base64')}` },
    });

  it('answers a list with Twilio’s paging fields and query names', async () => {
    await post('Messages.json', { To: TO, From: FROM, Body: 'a' });
    await post('Messages.json', { To: TO, From: FROM, Body: 'b' });
    const res = await get('Messages.json', { To: TO, 'DateSent>': '2020-01-01', PageSize: '1' });
    expect(res.status).toBe(200);
    const page = (await res.json()) as Record<string, unknown>;
    const path = `/2010-04-01/Accounts/${fake.accountSid}/Messages.json`;
    expect(page).toMatchObject({ start: 0, end: 0, page: 0, page_size: 1, previous_page_uri: null });
    expect(page.messages).toEqual([expect.objectContaining({ to: TO, body: 'b' })]);
    expect(page.next_page_uri).toBe(`${path}?To=${encodeURIComponent(TO)}&DateSent%3E=2020-01-01&PageSize=1&Page=1`);
    expect(page.first_page_uri).toBe(`${path}?To=${encodeURIComponent(TO)}&DateSent%3E=2020-01-01&PageSize=1&Page=0`);
    const calls = (await (await get('Calls.json', { 'StartTime>': '2999-01-01' })).json()) as Record<string, unknown>;
    expect(calls).toMatchObject({ calls: [], next_page_uri: null });
    const bad = await get('Messages.json', { 'DateSent>': 'yesterday' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: number }).code).toBe(20001);
  });

  it('answers 401 with Twilio’s exact body when credentials are missing', async () => {
    const res = await fetch(`${fake.url}/2010-04-01/Accounts/${fake.accountSid}/Messages.json`, { method: 'POST' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      code: 20003,
      message: 'Authenticate',
      more_info: 'https://www.twilio.com/docs/errors/20003',
      status: 401,
    });
  });

  it('answers 404 / 20404 when the path names another account', async () => {
    const res = await post('Messages.json', { To: TO, From: FROM, Body: 'x' }, 'AC' + 'f'.repeat(32));
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: number }).code).toBe(20404);
  });

  it('sends Retry-After with an injected 429', async () => {
    fake.failNext(1, 'too_many_requests');
    const res = await post('Messages.json', { To: TO, From: FROM, Body: 'x' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
  });

  it('counts GSM-7 and UCS-2 segments like Twilio bills them', async () => {
    const segments = async (body: string) =>
      ((await (await post('Messages.json', { To: TO, From: FROM, Body: body })).json()) as { num_segments: string }).num_segments;
    expect(await segments('a'.repeat(160))).toBe('1');
    expect(await segments('a'.repeat(161))).toBe('2');
    expect(await segments('Код 123456')).toBe('1');
    expect(await segments('ü'.repeat(70) + 'ł')).toBe('2');
  });

  it('shows what was sent on the developer page, HTML-escaped, and as JSON', async () => {
    await post('Messages.json', { To: TO, From: FROM, Body: '<script>alert(1)</script>' });
    const html = await (await fetch(`${fake.url}/`)).text();
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    const json = (await (await fetch(`${fake.url}/_fake/messages`)).json()) as { to: string; body: string }[];
    expect(json).toEqual([expect.objectContaining({ to: TO, body: '<script>alert(1)</script>' })]);
    expect(await (await fetch(`${fake.url}/_fake/calls`)).json()).toEqual([]);
  });
});
