import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/**
 * A throwaway Debian clickhouse-server (18.16) for integration tests: its own temp directory, free
 * loopback ports, ready when /ping answers, stopped with SIGTERM. Never leaves a server behind: stop() is
 * idempotent and an exit hook kills whatever is still running.
 */

export const CLICKHOUSE_SERVER_BIN = process.env.CLICKHOUSE_SERVER_BIN ?? '/usr/sbin/clickhouse-server';
const CONFIG = '/etc/clickhouse-server/config.xml';

/** Why the server tests cannot run here, or null when they can. In CI a missing server is an error, not a skip. */
export function clickhouseServerSkipReason(): string | null {
  if (existsSync(CLICKHOUSE_SERVER_BIN) && existsSync(CONFIG)) return null;
  if (process.env.CI) return null; // let start() fail loudly
  return `${CLICKHOUSE_SERVER_BIN} is not installed (apt-get install clickhouse-server); server tests skipped outside CI`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A user with a password that needs URL-escaping, to test credentials; `default` stays password-less. */
export const TEST_USER = { name: 'analyst', password: 's3cr:t@pw/1' };

const USERS_XML = `<?xml version="1.0"?>
<yandex>
  <profiles>
    <default><max_memory_usage>4000000000</max_memory_usage></default>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>::1</ip><ip>127.0.0.1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
    <${TEST_USER.name}>
      <password>${TEST_USER.password}</password>
      <networks><ip>::1</ip><ip>127.0.0.1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </${TEST_USER.name}>
  </users>
  <quotas>
    <default>
      <interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval>
    </default>
  </quotas>
</yandex>
`;

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

export class ClickHouseServer {
  private proc: ChildProcess | null = null;
  readonly url: string;

  private constructor(
    readonly dir: string,
    readonly httpPort: number,
    private readonly tcpPort: number,
    private readonly interserverPort: number,
  ) {
    this.url = `http://127.0.0.1:${httpPort}`;
  }

  static async create(): Promise<ClickHouseServer> {
    if (!existsSync(CLICKHOUSE_SERVER_BIN)) {
      throw new Error(`${CLICKHOUSE_SERVER_BIN} is missing: CI must apt-get install clickhouse-server (see docs/clickhouse.md)`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'clonewatch-ch-'));
    const ports = [await freePort(), await freePort(), await freePort()];
    if (new Set(ports).size < 3) throw new Error('could not find three distinct free ports');
    const s = new ClickHouseServer(dir, ports[0], ports[1], ports[2]);
    await s.start();
    return s;
  }

  get running(): boolean {
    return this.proc !== null;
  }

  async start(timeoutMs = 30_000): Promise<void> {
    if (this.proc) return;
    const d = this.dir;
    for (const sub of ['data', 'tmp', 'uf', 'fs']) mkdirSync(join(d, sub), { recursive: true });
    writeFileSync(join(d, 'users.xml'), USERS_XML);
    const args = [
      `--config-file=${CONFIG}`,
      '--',
      `--path=${d}/data/`,
      `--tmp_path=${d}/tmp/`,
      `--user_files_path=${d}/uf/`,
      `--format_schema_path=${d}/fs/`,
      `--users_config=${d}/users.xml`,
      `--http_port=${this.httpPort}`,
      `--tcp_port=${this.tcpPort}`,
      `--interserver_http_port=${this.interserverPort}`,
      '--listen_host=127.0.0.1',
      `--logger.log=${d}/server.log`,
      `--logger.errorlog=${d}/error.log`,
    ];
    const proc = spawn(CLICKHOUSE_SERVER_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr?.on('data', (b: Buffer) => {
      if (stderr.length < 4000) stderr += b.toString();
    });
    this.proc = proc;
    running.add(proc);
    let exited = false;
    proc.on('exit', () => {
      exited = true;
      running.delete(proc);
      if (this.proc === proc) this.proc = null;
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exited) break;
      if (await this.ping()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    const log = existsSync(`${d}/error.log`) ? readFileSync(`${d}/error.log`, 'utf8').slice(-2000) : '';
    await this.stop();
    throw new Error(`clickhouse-server did not answer /ping on port ${this.httpPort}: ${stderr.slice(-1000)} ${log}`);
  }

  async ping(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/ping`, { signal: AbortSignal.timeout(1000) });
      return res.ok;
    } catch {
      return false;
    }
  }

  /** SIGTERM (or the given signal), then SIGKILL if it has not exited within the timeout. */
  async stop(timeoutMs = 10_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      proc.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      proc.kill(signal);
    });
    this.proc = null;
  }

  /** A crash: SIGKILL, no clean shutdown. */
  kill(): Promise<void> {
    return this.stop(10_000, 'SIGKILL');
  }

  /** Stop it and delete its directory. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Run one statement over plain HTTP (for setup and checks that bypass the code under test). */
  async query(sql: string): Promise<string> {
    const res = await fetch(`${this.url}/`, { method: 'POST', body: sql });
    const text = await res.text();
    if (!res.ok) throw new Error(text);
    return text;
  }
}

/** Inside a describe block: one server started before its tests and destroyed after them. */
export function useClickHouseServer(): () => ClickHouseServer {
  let server: ClickHouseServer | undefined;
  beforeAll(async () => {
    server = await ClickHouseServer.create();
  });
  afterAll(async () => {
    await server?.destroy();
  });
  return () => {
    if (!server) throw new Error('the ClickHouse server has not started');
    return server;
  };
}
