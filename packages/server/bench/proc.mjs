// Server-side resource readings from /proc (Linux only): CPU time and RSS of a server's process tree.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times. */
export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** @param {number} pid @returns {{ ppid: number, cpuTicks: number, systemTicks: number } | undefined} */
function readStat(pid) {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    // After the name: state(0) ppid(1) … utime(11) stime(12)
    return {
      ppid: Number(fields[1]),
      cpuTicks: Number(fields[11]) + Number(fields[12]),
      systemTicks: Number(fields[12]),
    };
  } catch {
    return undefined;
  }
}

/** The pid and all its descendants (a server may run as a shell that execs or forks node). @param {number} root */
export function processTree(root) {
  /** @type {Map<number, number[]>} */
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(Number(entry));
    children.set(stat.ppid, list);
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(/** @type {number} */ (out[i])) ?? []));
  return out;
}

/** CPU seconds (user + system) used so far by a process tree. @param {number} root */
export function cpuSeconds(root) {
  let ticks = 0;
  for (const pid of processTree(root)) ticks += readStat(pid)?.cpuTicks ?? 0;
  return ticks / CLOCK_TICKS;
}

/** CPU seconds (user + system) of one process, without its children. @param {number} pid */
export function ownCpuSeconds(pid) {
  return (readStat(pid)?.cpuTicks ?? 0) / CLOCK_TICKS;
}

/**
 * CPU seconds spent in the kernel (system time) by a process tree: for a fan-out, mostly the
 * per-socket `write` and the loopback TCP work it does.
 * @param {number} root
 */
export function systemCpuSeconds(root) {
  let ticks = 0;
  for (const pid of processTree(root)) ticks += readStat(pid)?.systemTicks ?? 0;
  return ticks / CLOCK_TICKS;
}

/** Resident set size of a process tree in bytes (VmRSS). @param {number} root */
export function rssBytes(root) {
  let kb = 0;
  for (const pid of processTree(root)) {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) kb += Number(match[1]);
    } catch {
      // the process ended between the listing and the read
    }
  }
  return kb * 1024;
}

/**
 * Jiffies of the whole machine (all cores) from /proc/stat: busy and total. The difference of two
 * readings says how busy the machine was, so a throughput figure can show when cores, not code,
 * were the limit.
 * @returns {{ busy: number, total: number }}
 */
export function machineJiffies() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const [, ...fields] = line.trim().split(/\s+/);
    const values = fields.map(Number);
    const total = values.reduce((a, b) => a + b, 0);
    // user nice system idle iowait irq softirq steal …: idle and iowait are not busy.
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/**
 * Open file descriptors of each process of a tree, largest first: with `--workers N` each process
 * has its own `ulimit -n`, so the largest is what must stay under it.
 * @param {number} root
 * @returns {number[]}
 */
export function descriptorsPerProcess(root) {
  /** @type {number[]} */
  const counts = [];
  for (const pid of processTree(root)) {
    try {
      counts.push(readdirSync(`/proc/${pid}/fd`).length);
    } catch {
      // the process ended between the listing and the read
    }
  }
  return counts.sort((a, b) => b - a);
}
