export { eventually } from './eventually';
export { freePort } from './free-port';
export { base32Decode, hotp, totp } from './reference-totp';
export { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase, type TestDriver } from './test-database';
export { startRedisCluster, type TestRedisCluster } from './redis-cluster';
export { redisContents, redisKeys, redisValue } from './redis-contents';
export { TcpProxy } from './tcp-proxy';
