// Unit specs beside the code; e2e/ runs the built `npm start` program (dist/) as a child process,
// against the local Redis. `npm run build` first.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'dev',
  rootDir: __dirname,
  testTimeout: 120_000,
};
