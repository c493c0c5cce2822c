module.exports = { ...require('../../jest.preset.js'), displayName: 'fakes', rootDir: __dirname };
