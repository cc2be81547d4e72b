// A throw-away one-node Slurm cluster for tests: munged with its own key and socket, slurmctld and
// slurmd on 127.0.0.1 at free ports, every config, state, spool and log file in one temp folder.
// Nothing outside that folder is read or written (no /etc/slurm, no /run/munge), so it runs beside
// a real Slurm install and leaves no trace. Tested with Debian bookworm's slurm-wlm 22.05 and munge.
//
//   const cluster = new SlurmCluster();
//   afterAll(() => cluster.stop());   // safe when start() failed halfway, or never ran
//   await cluster.start();
//   await cluster.run('sbatch', ['--wait', ...], { cwd });
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

const DAEMONS = ['munged', 'slurmctld', 'slurmd'] as const;
const CLIENTS = ['sbatch', 'sinfo', 'scontrol', 'squeue', 'scancel'] as const;
type Tool = (typeof DAEMONS)[number] | (typeof CLIENTS)[number];

// daemons live in sbin, which a non-login shell's PATH may lack
const SEARCH_DIRS = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'].filter(Boolean);

function findTool(name: string): string | null {
  for (const dir of SEARCH_DIRS) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      /* next folder */
    }
  }
  return null;
}

/** the Slurm and munge programs, or why this machine cannot run the cluster */
export function findSlurm(): { tools: Record<Tool, string> } | { reason: string } {
  const names = [...DAEMONS, ...CLIENTS];
  const found = names.map((n) => [n, findTool(n)] as const);
  const missing = found.filter(([, f]) => !f).map(([n]) => n);
  if (missing.length) return { reason: `${missing.join(', ')} not installed (Debian: apt-get install slurm-wlm munge)` };
  // slurmd must be root to start jobs as their owner; SlurmUser=root keeps the rest simple
  if (process.getuid?.() !== 0) return { reason: 'the test cluster runs slurmd as root, and this process is not root' };
  return { tools: Object.fromEntries(found) as Record<Tool, string> };
}

/** `count` distinct TCP ports free on 127.0.0.1 right now (held open together, so they differ) */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const s = net.createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** a variable a surrounding Slurm job (a CI runner inside one) would leak into ours and change sbatch's behaviour */
const isInheritedSlurmVariable = (name: string) => /^(SLURM|SBATCH|SALLOC|SRUN)_/.test(name);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class SlurmCluster {
  /** the temp folder: slurm.conf, munge key and socket, state, spool, logs */
  dir: string | null = null;
  /** the short hostname, which slurmctld insists its SlurmctldHost is, and the node's name */
  readonly nodeName = os.hostname().split('.')[0]!;
  private tools: Record<Tool, string> | null = null;
  private daemons: { name: string; child: ChildProcess; spawnError?: Error }[] = [];
  private readonly killOnExit = () => {
    for (const d of this.daemons) d.child.kill('SIGKILL');
  };

  get conf(): string {
    if (!this.dir) throw new Error('the Slurm cluster is not started; call start() first');
    return path.join(this.dir, 'slurm.conf');
  }

  /** the environment of every Slurm command and daemon: ours, with SLURM_CONF naming this cluster */
  get env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !isInheritedSlurmVariable(k)));
    return { ...env, SLURM_CONF: this.conf };
  }

  async start(): Promise<void> {
    const found = findSlurm();
    if ('reason' in found) throw new Error(`cannot start a Slurm cluster: ${found.reason}`);
    this.tools = found.tools;
    // munged refuses a socket whose folders others cannot traverse; a short path keeps the socket
    // under the 108-byte limit of a Unix socket's name
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pkd-slurm-'));
    fs.chmodSync(this.dir, 0o755);
    for (const sub of ['munge', 'state', 'spool', 'log', 'run']) fs.mkdirSync(path.join(this.dir, sub), { mode: 0o755 });
    process.once('exit', this.killOnExit);
    try {
      const key = path.join(this.dir, 'munge/munge.key');
      fs.writeFileSync(key, randomBytes(1024), { mode: 0o600 });
      const socket = path.join(this.dir, 'munge/munge.socket');
      this.spawnDaemon('munged', [
        '--foreground',
        `--key-file=${key}`,
        `--socket=${socket}`,
        `--pid-file=${path.join(this.dir, 'munge/munged.pid')}`,
        `--seed-file=${path.join(this.dir, 'munge/munged.seed')}`,
      ]);
      await this.waitFor('munged to open its socket', () => fs.existsSync(socket));
      const [ctldPort, slurmdPort] = await freePorts(2);
      fs.writeFileSync(this.conf, this.slurmConf(socket, ctldPort!, slurmdPort!));
      this.spawnDaemon('slurmctld', ['-D', '-f', this.conf]);
      this.spawnDaemon('slurmd', ['-D', '-f', this.conf, '-N', this.nodeName]);
      await this.waitFor(
        `node ${this.nodeName} to be idle`,
        async () => (await this.run('sinfo', ['-h', '-N', '-o', '%t'])).stdout.trim() === 'idle',
      );
    } catch (e) {
      const logs = this.logTails();
      await this.stop();
      throw new Error(`${(e as Error).message}\n${logs}`);
    }
  }

  private slurmConf(mungeSocket: string, ctldPort: number, slurmdPort: number): string {
    const d = this.dir!;
    return `${[
      'ClusterName=promptkd-test',
      `SlurmctldHost=${this.nodeName}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${mungeSocket}`,
      'MpiDefault=none',
      // no cgroups: a container may not delegate them, and the test needs no confinement
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      // cores only: the node's memory is not declared, so it must not be a consumable resource
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      // a task queued behind a busy CPU starts within a second, not at the next 30-60 s pass
      'SchedulerParameters=sched_interval=1,bf_interval=1',
      'ReturnToService=2',
      `StateSaveLocation=${d}/state`,
      `SlurmdSpoolDir=${d}/spool`,
      `SlurmctldPidFile=${d}/run/slurmctld.pid`,
      `SlurmdPidFile=${d}/run/slurmd.pid`,
      `SlurmctldLogFile=${d}/log/slurmctld.log`,
      `SlurmdLogFile=${d}/log/slurmd.log`,
      `NodeName=${this.nodeName} NodeAddr=127.0.0.1 CPUs=${os.availableParallelism()} State=UNKNOWN`,
      'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
    ].join('\n')}\n`;
  }

  private spawnDaemon(name: 'munged' | 'slurmctld' | 'slurmd', args: string[]): void {
    // a daemon's stderr: where it writes before it has read the log file's name from its config
    const fd = fs.openSync(path.join(this.dir!, 'log', `${name}.out`), 'a');
    try {
      const child = spawn(this.tools![name], args, { env: this.env, stdio: ['ignore', fd, fd] });
      const daemon: (typeof this.daemons)[number] = { name, child };
      child.on('error', (e) => {
        daemon.spawnError = e;
      });
      this.daemons.push(daemon);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** polls `ready` until it holds; fails at once when a daemon has exited, or after `timeoutMs` */
  private async waitFor(what: string, ready: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const failed = this.daemons.find((d) => d.spawnError);
      if (failed) throw new Error(`${failed.name} did not start: ${failed.spawnError!.message}`);
      const dead = this.daemons.find((d) => d.child.exitCode !== null || d.child.signalCode !== null);
      if (dead) throw new Error(`${dead.name} exited (${dead.child.exitCode ?? dead.child.signalCode}) while waiting for ${what}`);
      if (await ready()) return;
      if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
      await sleep(200);
    }
  }

  /** the last lines of each daemon's log, for an error message */
  private logTails(): string {
    if (!this.dir) return '';
    return DAEMONS.map((name) => {
      const file = [`${name}.log`, `${name}.out`]
        .map((f) => path.join(this.dir!, 'log', f))
        .find((f) => fs.existsSync(f) && fs.statSync(f).size > 0);
      return file ? `--- ${path.basename(file)}\n${fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-6).join('\n')}` : '';
    })
      .filter(Boolean)
      .join('\n');
  }

  /** a Slurm client command against this cluster; a non-zero exit is returned, not thrown */
  async run(
    tool: (typeof CLIENTS)[number],
    args: string[],
    opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
  ): Promise<RunResult> {
    if (!this.tools) throw new Error('the Slurm cluster is not started; call start() first');
    try {
      const { stdout, stderr } = await execFileAsync(this.tools[tool], args, {
        cwd: opts.cwd,
        env: opts.env ?? this.env,
        timeout: opts.timeoutMs ?? 60_000,
      });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code?: number | string; stdout?: string; stderr?: string };
      return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? String(e) };
    }
  }

  /**
   * Cancels what still runs, stops the daemons, kills any job process they left behind and removes
   * the folder. Idempotent, and safe after a failed or missing start().
   */
  async stop(): Promise<void> {
    const ctld = this.daemons.find((d) => d.name === 'slurmctld');
    if (ctld && ctld.child.exitCode === null && ctld.child.signalCode === null) {
      await this.run('scancel', ['--quiet', `--user=${os.userInfo().username}`], { timeoutMs: 10_000 });
    }
    // slurmd before slurmctld before munged: each one's shutdown still talks to the next
    for (const d of [...this.daemons].reverse()) await stopChild(d.child);
    this.daemons = [];
    process.removeListener('exit', this.killOnExit);
    if (this.dir) {
      // slurmstepd and the job's processes are not slurmd's children once started; they carry our
      // SLURM_CONF, which names this cluster's own folder and nothing else
      for (const pid of processesWithEnv(`SLURM_CONF=${this.conf}`)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone already */
        }
      }
      fs.rmSync(this.dir, { recursive: true, force: true });
      this.dir = null;
    }
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  if (exited() || child.pid === undefined) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const inTime = await Promise.race([gone.then(() => true), sleep(5_000).then(() => false)]);
  if (!inTime) {
    child.kill('SIGKILL');
    await gone;
  }
}

/** pids (not this process) whose environment holds exactly `entry` */
function processesWithEnv(entry: string): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(entry)) pids.push(pid);
    } catch {
      /* exited, or not ours to read */
    }
  }
  return pids;
}
