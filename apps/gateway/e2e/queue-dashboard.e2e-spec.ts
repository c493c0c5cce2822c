import { startGateway, type RunningGateway } from './gateway-harness';

describe('queue dashboard and queue metrics', () => {
  let gateway: RunningGateway;
  const admin = { authorization: 'Bearer test-admin-token' };

  beforeAll(async () => {
    gateway = await startGateway({ driver: 'sqlite' });
  });
  afterAll(() => gateway.close());

  it('answers 401 without the admin token, on the page and on its API', async () => {
    for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
      expect((await fetch(`${gateway.httpUrl}${path}`)).status).toBe(401);
      expect((await fetch(`${gateway.httpUrl}${path}`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    }
  });

  it('lets a browser in with the token as the Basic password (the browser prompts for it)', async () => {
    const challenge = await fetch(`${gateway.httpUrl}/admin/queues`);
    expect(challenge.headers.get('www-authenticate')).toMatch(/^Basic/);
    const basic = `Basic ${Buffer.from('admin:test-admin-token').toString('base64')}`;
    expect((await fetch(`${gateway.httpUrl}/admin/queues`, { headers: { authorization: basic } })).status).toBe(200);
  });

  it('lists every queue with the token', async () => {
    const page = await fetch(`${gateway.httpUrl}/admin/queues`, { headers: admin });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const api = await fetch(`${gateway.httpUrl}/admin/queues/api/queues`, { headers: admin });
    const body = (await api.json()) as { queues: { name: string }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual(['duo', 'email', 'events', 'otp', 'push', 'telephony']);
  });

  it('is read-mostly: retrying failed jobs is allowed, emptying a queue is not', async () => {
    const put = (path: string) => fetch(`${gateway.httpUrl}/admin/queues/api/queues/${path}`, { method: 'PUT', headers: admin });
    expect((await put('otp/empty')).status).toBe(403);
    expect((await put('otp/clean/completed')).status).toBe(403);
    expect((await put('otp/retry/failed')).status).toBe(200);
  });

  it('exports queue depths per state', async () => {
    const metrics = await (await fetch(`${gateway.httpUrl}/metrics`)).text();
    for (const state of ['waiting', 'active', 'delayed', 'failed']) expect(metrics).toContain(`mfa_queue_jobs{queue="telephony",state="${state}"`);
  });
});
