import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port';

export interface TestRedisCluster {
  /** `redis-cluster://127.0.0.1:<port>,…`, as REDIS_URL takes it. */
  url: string;
  /** The port of the master that serves `key`'s slot now. */
  masterOf(key: string): Promise<number>;
  /** SIGKILLs the node on `port`, as a crashed host would vanish. */
  kill(port: number): Promise<void>;
  stop(): Promise<void>;
}

async function answers(port: number, check: (probe: Redis) => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const probe = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await probe.connect();
      if (await check(probe)) return;
    } catch {
      // not yet
    } finally {
      probe.disconnect();
    }
    if (Date.now() > deadline) throw new Error(`redis-server on ${port}: ${what} within 15 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A Redis Cluster of `masters` redis-server processes of its own, each with `replicas` replicas
 * (none by default), slots spread by `redis-cli --cluster create`, for tests that must run against
 * a cluster rather than one server.
 */
export async function startRedisCluster(masters = 3, replicas = 0): Promise<TestRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'mfa-redis-cluster-'));
  const children = new Map<number, ChildProcess>();
  const output = new Map<number, () => string>();
  const exited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;
  const kill = (child: ChildProcess): Promise<unknown> => (exited(child) ? Promise.resolve() : new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGKILL'))));
  const stop = async (): Promise<void> => {
    await Promise.all([...children.values()].map(kill));
    rmSync(dir, { recursive: true, force: true });
  };
  const masterOf = async (key: string): Promise<number> => {
    const port = [...children].find(([, child]) => !exited(child))?.[0];
    const probe = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      const slot = Number(await probe.cluster('KEYSLOT', key));
      const range = (await probe.cluster('SLOTS')).find(([first, last]) => slot >= first && slot <= last);
      if (!range) throw new Error(`no node serves slot ${slot}`);
      return range[2][1];
    } finally {
      probe.disconnect();
    }
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < masters * (1 + replicas); i++) {
      const [port, busPort] = [await freePort(), await freePort()];
      const args = ['--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`];
      const child = spawn('redis-server', [...args, '--cluster-node-timeout', '2000', '--repl-diskless-sync-delay', '0', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
      // The end of what the node said, for the error if the cluster does not come up (a port taken, say).
      let said = '';
      const keep = (chunk: Buffer): void => void (said = (said + chunk.toString()).slice(-2_000));
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      output.set(port, () => said);
      children.set(port, child);
      ports.push(port);
    }
    for (const port of ports) await answers(port, async (probe) => (await probe.ping()) === 'PONG', 'no PONG');
    const created = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes'], { encoding: 'utf8' });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    for (const port of ports) await answers(port, async (probe) => String(await probe.cluster('INFO')).includes('cluster_state:ok'), 'cluster not ok');
    // A replica that has never synced is not promoted: wait until all of them are replicas with their master's data.
    const inSync = async (port: number): Promise<boolean> => {
      const probe = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        const replication = await probe.info('replication');
        return /role:slave/.test(replication) && /master_link_status:up/.test(replication);
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    };
    const syncDeadline = Date.now() + 15_000;
    while ((await Promise.all(ports.map(inSync))).filter(Boolean).length < masters * replicas) {
      if (Date.now() > syncDeadline) throw new Error('redis cluster: replicas not in sync within 15 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return {
      url: `redis-cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
      masterOf,
      kill: async (port) => {
        const child = children.get(port);
        if (!child) throw new Error(`no node on ${port}`);
        await kill(child);
      },
      stop,
    };
  } catch (error) {
    const said = [...output].map(([port, text]) => `--- redis-server on ${port}${children.get(port) && exited(children.get(port)!) ? ' (exited)' : ''}:\n${text()}`).join('\n');
    await stop();
    throw new Error(`${(error as Error).message}\n${said}`);
  }
}
