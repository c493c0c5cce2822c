// Fault and abuse suites (issue 7): the built apps (dist/) run as child processes against their own
// Redis server, a PostgreSQL reached through a cuttable TCP proxy and the loopback provider fakes;
// plus property-based tests over the domain validators. `npm run build` first.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'resilience',
  rootDir: __dirname,
  testMatch: ['<rootDir>/e2e/**/*.e2e-spec.ts', '<rootDir>/src/**/*.spec.ts'],
  testTimeout: 600000,
};
