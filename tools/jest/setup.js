// NestJS and TypeORM read decorator metadata through the Reflect API.
require('reflect-metadata');
// Keep test output readable: the apps log at warn and above unless a run asks for more.
process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'warn';
