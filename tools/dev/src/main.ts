import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/**
 * `npm start`: runs the gateway (and, as they land, the workers and loopback provider fakes)
 * on embedded defaults, prefixes their output, and stops them all on SIGTERM or SIGINT.
 */
interface AppSpec {
  name: string;
  entry: string;
  env: Record<string, string>;
}

const distRoot = join(__dirname, '..', '..', '..');
const basePort = Number(process.env.HTTP_PORT ?? 3000);
const STOP_TIMEOUT_MS = 15_000;

const apps: AppSpec[] = [{ name: 'gateway', entry: 'apps/gateway/src/main.js', env: { HTTP_PORT: String(basePort) } }];

const children = new Map<string, ChildProcess>();
let stopping = false;

function prefixLines(name: string, stream: NodeJS.ReadableStream, out: NodeJS.WritableStream): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) out.write(`[${name}] ${line}\n`);
  });
}

function start(app: AppSpec): void {
  const child = spawn(process.execPath, [join(distRoot, app.entry)], { env: { ...process.env, ...app.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.set(app.name, child);
  prefixLines(app.name, child.stdout!, process.stdout);
  prefixLines(app.name, child.stderr!, process.stderr);
  child.on('exit', (code, signal) => {
    children.delete(app.name);
    if (!stopping) {
      process.stderr.write(`[dev] ${app.name} exited (${signal ?? code}); stopping everything\n`);
      void stopAll(1);
    } else if (children.size === 0) {
      process.exit(exitCode);
    }
  });
}

let exitCode = 0;

async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  exitCode = code;
  if (children.size === 0) process.exit(exitCode);
  for (const child of children.values()) child.kill('SIGTERM');
  setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
    process.exit(1);
  }, STOP_TIMEOUT_MS).unref();
}

process.on('SIGTERM', () => void stopAll(0));
process.on('SIGINT', () => void stopAll(0));
apps.forEach(start);
