module.exports = { ...require('../../jest.preset.js'), displayName: 'duo-worker', rootDir: __dirname, testTimeout: 30_000 };
