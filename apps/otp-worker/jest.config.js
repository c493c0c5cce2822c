module.exports = { ...require('../../jest.preset.js'), displayName: 'otp-worker', rootDir: __dirname, testTimeout: 30_000 };
