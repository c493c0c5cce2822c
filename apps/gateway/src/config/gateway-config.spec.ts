import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@mfa/crypto';
import { developmentBanner } from './development-banner';
import { loadGatewayConfig, publicBaseUrlProblem } from './gateway-config';

const production = (overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> => ({
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://mfa@db/mfa',
  MFA_ENCRYPTION_KEYS: Keyring.generateSpec('k1'),
  MFA_ADMIN_TOKEN: 'a'.repeat(32),
  PUBLIC_BASE_URL: 'https://mfa.acme.io',
  ...overrides,
});

describe('gateway configuration in production', () => {
  it('starts with every required setting and no warning', () => {
    const config = loadGatewayConfig(production());
    expect(config.production).toBe(true);
    expect(config.publicBaseUrl).toBe('https://mfa.acme.io');
    expect(config.notices).toEqual([]);
  });

  it.each(['x', 'fifteen-chars!!'])('warns about an admin token shorter than 16 characters (%s), naming MFA_ADMIN_TOKEN, and still starts', (token) => {
    const config = loadGatewayConfig(production({ MFA_ADMIN_TOKEN: token }));
    expect(config.adminToken).toBe(token);
    expect(config.notices).toEqual([expect.stringMatching(/^MFA_ADMIN_TOKEN is shorter than 16 characters/)]);
  });

  it('takes an admin token of 16 characters without a warning', () => {
    const config = loadGatewayConfig(production({ MFA_ADMIN_TOKEN: 'sixteen-chars!!!' }));
    expect({ token: config.adminToken, notices: config.notices }).toEqual({ token: 'sixteen-chars!!!', notices: [] });
  });

  it('warns about a bootstrap API key shorter than 16 characters, naming MFA_BOOTSTRAP_API_KEY, and still takes it', () => {
    const config = loadGatewayConfig(production({ MFA_BOOTSTRAP_API_KEY: 'test-key' }));
    expect(config.bootstrapApiKey).toBe('test-key');
    expect(config.notices).toEqual([expect.stringMatching(/^MFA_BOOTSTRAP_API_KEY is shorter than 16 characters/)]);
  });

  it('still requires MFA_ADMIN_TOKEN and MFA_ENCRYPTION_KEYS', () => {
    expect(() => loadGatewayConfig(production({ MFA_ADMIN_TOKEN: undefined }))).toThrow('MFA_ADMIN_TOKEN is required when NODE_ENV=production');
    expect(() => loadGatewayConfig(production({ MFA_ENCRYPTION_KEYS: undefined }))).toThrow('MFA_ENCRYPTION_KEYS is required when NODE_ENV=production');
  });

  it.each([
    ['unset', undefined, 'is not set'],
    ['the loopback default', 'http://127.0.0.1:3000', 'loopback'],
    ['localhost', 'http://localhost:3000/', 'loopback'],
    ['IPv6 loopback', 'http://[::1]:3000', 'loopback'],
    ['the manifests\' placeholder', 'https://mfa.example.com', 'placeholder'],
  ])('warns, but starts, when PUBLIC_BASE_URL is %s: phones could not reach enrollment URIs', (_case, value, reason) => {
    const config = loadGatewayConfig(production({ PUBLIC_BASE_URL: value }));
    expect(config.notices).toHaveLength(1);
    expect(config.notices[0]).toMatch(/^PUBLIC_BASE_URL /);
    expect(config.notices[0]).toContain(reason);
    expect(config.notices[0]).toContain(config.publicBaseUrl);
  });
});

describe('abuse limits', () => {
  it('default to 5/10/1000 code sends and 10 prompts per factor without an approval, and read count/seconds', () => {
    const defaults = loadGatewayConfig(production());
    expect(defaults.sendLimits).toEqual({ perDestination: { count: 5, windowSeconds: 600 }, perUser: { count: 10, windowSeconds: 600 }, perTenant: { count: 1000, windowSeconds: 60 } });
    expect(defaults.promptLimit).toEqual({ count: 10, windowSeconds: 600 });
    expect(loadGatewayConfig(production({ MFA_PROMPT_LIMIT_PER_FACTOR: '4/60' })).promptLimit).toEqual({ count: 4, windowSeconds: 60 });
  });

  it.each(['MFA_PROMPT_LIMIT_PER_FACTOR', 'MFA_SEND_LIMIT_PER_USER'])('refuses a malformed %s, naming it', (name) => {
    expect(() => loadGatewayConfig(production({ [name]: '10 per minute' }))).toThrow(new RegExp(`^${name} must look like COUNT/SECONDS`));
  });
});

describe('PUBLIC_BASE_URL check', () => {
  it.each(['https://mfa.acme.io', 'https://10.0.0.5:8443/base', 'http://mfa.internal.corp'])('accepts %s', (url) => {
    expect(publicBaseUrlProblem(url)).toBeUndefined();
  });

  it('names a value that is not an http(s) URL', () => {
    expect(publicBaseUrlProblem('mfa.acme.io')).toBe('"mfa.acme.io" is not an http(s) URL');
  });
});

describe('gateway configuration in development', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'gateway-config-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('accepts a short admin token and a loopback PUBLIC_BASE_URL without a warning about them', () => {
    const config = loadGatewayConfig({ MFA_DATA_DIR: dataDir, MFA_ENCRYPTION_KEYS: Keyring.generateSpec('d1'), MFA_ADMIN_TOKEN: 'x' });
    expect(config.adminToken).toBe('x');
    expect(config.publicBaseUrl).toBe('http://127.0.0.1:3000');
    expect(config.notices).toEqual([]);
  });

  it('prints the generated API key and admin token together at start', () => {
    const env = { MFA_DATA_DIR: dataDir, MFA_ENCRYPTION_KEYS: Keyring.generateSpec('d1') };
    const config = loadGatewayConfig(env);
    const banner = developmentBanner(config, env) ?? '';
    expect(banner).toContain(`API key (tenant "default"): ${config.bootstrapApiKey}`);
    expect(banner).toContain(`Admin token (queue dashboard /admin/queues, MFA_ADMIN_TOKEN): ${config.adminToken}`);
    expect(config.adminToken.length).toBeGreaterThanOrEqual(16);
  });

  it('takes a short bootstrap API key as set (a test harness\'s), without a warning in development', () => {
    const config = loadGatewayConfig({ MFA_DATA_DIR: dataDir, MFA_ENCRYPTION_KEYS: Keyring.generateSpec('d1'), MFA_BOOTSTRAP_API_KEY: 'test-key' });
    expect({ key: config.bootstrapApiKey, notices: config.notices }).toEqual({ key: 'test-key', notices: [] });
  });

  it('does not echo credentials the operator set, nor print anything in production', () => {
    const env = { MFA_DATA_DIR: dataDir, MFA_ENCRYPTION_KEYS: Keyring.generateSpec('d1'), MFA_BOOTSTRAP_API_KEY: 'mfa_set_by_operator_1234', MFA_ADMIN_TOKEN: 'set-by-operator-token' };
    expect(developmentBanner(loadGatewayConfig(env), env)).toBeUndefined();
    const onlyKeySet = { ...env, MFA_ADMIN_TOKEN: undefined };
    const banner = developmentBanner(loadGatewayConfig(onlyKeySet), onlyKeySet) ?? '';
    expect(banner).not.toContain('mfa_set_by_operator_1234');
    expect(banner).toContain('Admin token');
    const prod = production();
    expect(developmentBanner(loadGatewayConfig(prod), prod)).toBeUndefined();
  });
});
