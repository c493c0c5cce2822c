module.exports = { ...require('../../jest.preset.js'), displayName: 'authenticator', rootDir: __dirname };
