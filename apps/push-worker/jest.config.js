module.exports = { ...require('../../jest.preset.js'), displayName: 'push-worker', rootDir: __dirname, testTimeout: 30_000 };
