import { RedirectingRequestClient } from './redirecting-request-client';

describe('RedirectingRequestClient', () => {
  const client = new RedirectingRequestClient('http://127.0.0.1:4010/');

  it('moves Twilio origins, including edge and region hosts, onto the fake and keeps path and query', () => {
    expect(client.redirect('https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=2')).toBe(
      'http://127.0.0.1:4010/2010-04-01/Accounts/AC1/Messages.json?PageSize=2',
    );
    expect(client.redirect('https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/AC1/Calls.json')).toBe(
      'http://127.0.0.1:4010/2010-04-01/Accounts/AC1/Calls.json',
    );
  });

  it('leaves hosts that only look like Twilio alone', () => {
    expect(client.redirect('https://api.twilio.com.evil.example/x')).toBe('https://api.twilio.com.evil.example/x');
    expect(client.redirect('https://example.com/twilio.com')).toBe('https://example.com/twilio.com');
  });
});
