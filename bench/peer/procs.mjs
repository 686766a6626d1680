/**
 * Processes of the side-by-side benchmark: every server is a child process on 127.0.0.1, recorded
 * here with its pid and stopped by that pid at the end, on failure and on SIGINT/SIGTERM (never
 * by name). Also free ports, readiness polling, command helpers and the /proc readings (CPU ticks,
 * peak RSS) taken around each measured run.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Started processes, stopped in reverse order by shutdown(). */
const running = [];
/** Work done after the processes are stopped (removing temporary folders), newest first. */
const cleanups = [];

export function addCleanup(fn) {
  cleanups.push(fn);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts a server process; its stdout and stderr go to `logFile`. `stopSignal` is what asks it to
 * stop (SIGINT is PostgreSQL's fast shutdown); after `graceMs` it gets SIGKILL.
 */
export function startProcess(
  name,
  command,
  args,
  { env, cwd, uid, gid, logFile, stopSignal = 'SIGTERM', graceMs = 10_000 },
) {
  const log = openSync(logFile, 'a');
  const child = spawn(command, args, { env, cwd, uid, gid, stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  child.once('error', () => {});
  const proc = {
    name,
    pid: child.pid,
    logFile,
    exited,
    stopped: false,
    async stop() {
      if (proc.stopped) return;
      proc.stopped = true;
      if (!alive(proc.pid)) return;
      process.kill(proc.pid, stopSignal);
      const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!done && alive(proc.pid)) {
        process.kill(proc.pid, 'SIGKILL');
        await exited;
      }
    },
  };
  if (!child.pid) throw new Error(`could not start ${name} (${command})`);
  running.push(proc);
  return proc;
}

/** The last lines of a process's log, for error messages. */
export function logTail(proc, lines = 30) {
  try {
    return readFileSync(proc.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Stops every started process (newest first), then runs the cleanups. */
export async function shutdown() {
  while (running.length > 0) {
    const proc = running.pop();
    try {
      await proc.stop();
    } catch (err) {
      console.error(`could not stop ${proc.name} (pid ${proc.pid}): ${err.message}`);
    }
  }
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()();
    } catch (err) {
      console.error(`cleanup failed: ${err.message}`);
    }
  }
}

let stopping = false;
/**
 * On SIGINT/SIGTERM: shutdown() and exit; if the runner exits any other way with servers still
 * running, they get SIGKILL.
 */
export function stopOnSignals() {
  const onSignal = (signal) => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${signal}: stopping the servers…`);
    shutdown().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.once('exit', () => {
    for (const proc of running) if (alive(proc.pid)) process.kill(proc.pid, 'SIGKILL');
  });
}

/** Waits until `check()` resolves true, or fails naming the process and its log's tail. */
export async function waitUntil(proc, what, check, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let exitedWith;
  proc.exited.then((r) => (exitedWith = r));
  while (Date.now() < deadline) {
    if (exitedWith !== undefined) {
      throw new Error(`${proc.name} exited (${exitedWith}) before ${what}:\n${logTail(proc)}`);
    }
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`${proc.name} (pid ${proc.pid}): no ${what} after ${timeoutMs / 1000} s:\n${logTail(proc)}`);
}

/** True when GET url answers at all (any status below 500). */
export function httpAnswers(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode < 500);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => req.destroy());
  });
}

/**
 * Runs a command to completion, its output on stderr (stdout is kept for the table); throws on a
 * non-zero exit.
 */
export function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 2, 2], ...options });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? code})`)),
    );
  });
}

export function commandExists(command) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let clockTicks;
/** Clock ticks per second, the unit of /proc/<pid>/stat's CPU times. */
function ticksPerSecond() {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime, stime, cutime, cstime and the parent pid of a process, from /proc/<pid>/stat. */
function statOf(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name "(…)": state is field 3, ppid 4, utime 14 … cstime 17.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return {
      ppid: Number(f[1]),
      utime: Number(f[11]),
      stime: Number(f[12]),
      cutime: Number(f[13]),
      cstime: Number(f[14]),
    };
  } catch {
    return null;
  }
}

/**
 * CPU seconds used so far by a process; with `children`, also by its live children and by the
 * children it has reaped (how PostgreSQL's backends are counted: one process per connection).
 */
export function cpuSeconds(pid, { children = false } = {}) {
  const own = statOf(pid);
  if (!own) return NaN;
  let ticks = own.utime + own.stime;
  if (children) {
    ticks += own.cutime + own.cstime;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const s = statOf(Number(entry));
      if (s && s.ppid === pid) ticks += s.utime + s.stime;
    }
  }
  return ticks / ticksPerSecond();
}

/** Peak resident set size in MiB (VmHWM), since start or since the last resetPeakRss. */
export function peakRssMiB(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0, same user or root); false when not allowed. */
export function resetPeakRss(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
