// Process-level end-to-end suites: the built apps (dist/) run as child processes against real
// PostgreSQL, Redis and the loopback Twilio and SMTP fakes. `npm run build` first.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'e2e',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  testTimeout: 120000,
};
