/**
 * Resident memory of a whole process tree (a process and all its descendants), sampled from /proc (Linux):
 * a run may spawn helpers or workers, and GNU time only sees the process it started.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Parent of every live process; the kernel here has no /proc/<pid>/task/<tid>/children, so /proc/<pid>/stat. */
function parents(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "latin1");
      // The command name (field 2) may hold spaces and parentheses: fields after its last ")" are fixed.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process exited between readdir and read.
    }
  }
  return children;
}

function rssBytes(pid: number): number {
  try {
    const kb = readFileSync(`/proc/${pid}/status`, "latin1").match(/^VmRSS:\s+(\d+) kB/m)?.[1];
    return Number(kb ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/**
 * VmRSS summed over `root` and its descendants now (shared pages count once per process, as `ps` sums them),
 * and the largest single process's (what GNU time's maximum resident set size reports).
 */
export function treeRssBytes(root: number): { total: number; largest: number } {
  const children = parents();
  let total = 0;
  let largest = 0;
  const pending = [root];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    const rss = rssBytes(pid);
    total += rss;
    largest = Math.max(largest, rss);
    pending.push(...(children.get(pid) ?? []));
  }
  return { total, largest };
}

export interface TreeRssSampler {
  /** The latest sample of the tree, in bytes. */
  readonly current: number;
  /** The largest sample of the tree so far, in bytes. */
  readonly peak: number;
  /** The largest single process seen so far, in bytes. */
  readonly peakProcess: number;
  stop(): void;
}

/** Samples the tree of `root` every `intervalMs` until stopped; a spike shorter than the interval can be missed. */
export function sampleTreeRss(root: number, intervalMs = 250): TreeRssSampler {
  let current = 0;
  let peak = 0;
  let peakProcess = 0;
  const sample = () => {
    const now = treeRssBytes(root);
    current = now.total;
    peak = Math.max(peak, now.total);
    peakProcess = Math.max(peakProcess, now.largest);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    get current() {
      return current;
    },
    get peak() {
      return peak;
    },
    get peakProcess() {
      return peakProcess;
    },
    stop: () => clearInterval(timer),
  };
}
