module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'gateway',
  rootDir: __dirname,
  // End-to-end files boot a gateway each; a generous timeout covers PostgreSQL database creation.
  testTimeout: 30_000,
};
