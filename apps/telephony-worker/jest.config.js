module.exports = { ...require('../../jest.preset.js'), displayName: 'telephony-worker', rootDir: __dirname, testTimeout: 30_000 };
