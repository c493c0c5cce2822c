module.exports = { ...require('../../jest.preset.js'), displayName: 'authenticator-sdk', rootDir: __dirname };
