module.exports = { ...require('../../jest.preset.js'), displayName: 'email-worker', rootDir: __dirname, testTimeout: 30_000 };
