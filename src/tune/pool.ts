/**
 * The pool of worker threads that runs the tuner's simulations in parallel. Each worker takes
 * the next job when it finishes one (longest first, so the last jobs to finish are short), and
 * each outcome lands at its job's index: the results do not depend on the number of workers or
 * the order in which they finish.
 *
 * Workers load compiled JavaScript: `worker.js` next to this module, or, when this module runs
 * from its TypeScript source (tests), the package's dist/ build of it.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { RunFailure, UsageError } from "../errors.js";
import { packageRoot } from "../machine/package-root.js";
import type { SimJob, SimOutcome } from "./sim-job.js";

export type WorkerReply =
  | { index: number; outcome: SimOutcome }
  | { index: number; error: { name: string; message: string } };

export interface PoolOptions {
  /** Worker threads; at most one per job. */
  threads: number;
  /** Called with the jobs done so far: once at the start, then after each job. */
  onDone?: (done: number, total: number) => void;
}

/** The worker's entry module. */
function workerEntry(): URL {
  if (!import.meta.url.endsWith(".ts")) return new URL("./worker.js", import.meta.url);
  const built = join(packageRoot(), "dist", "tune", "worker.js");
  if (!existsSync(built)) {
    throw new Error(`${built} not found: run \`npm run build\` (the workers run compiled code)`);
  }
  return pathToFileURL(built);
}

/** Runs every job; the outcome of jobs[i] is at index i. */
export async function runJobs(jobs: readonly SimJob[], o: PoolOptions): Promise<SimOutcome[]> {
  const outcomes: SimOutcome[] = new Array(jobs.length);
  if (jobs.length === 0) return outcomes;
  const order = jobs
    .map((_, i) => i)
    .sort((a, b) => jobs[b].folioCount - jobs[a].folioCount || a - b);
  const entry = workerEntry();
  o.onDone?.(0, jobs.length);
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let done = 0;
      const dispatch = (w: Worker): void => {
        if (next < order.length) {
          const index = order[next++];
          w.postMessage({ index, job: jobs[index] });
        }
      };
      const count = Math.max(1, Math.min(o.threads, jobs.length));
      for (let t = 0; t < count; t++) {
        const w = new Worker(entry);
        workers.push(w);
        w.on("message", (reply: WorkerReply) => {
          if ("error" in reply) {
            reject(failure(reply.error));
            return;
          }
          outcomes[reply.index] = reply.outcome;
          done++;
          o.onDone?.(done, jobs.length);
          if (done === jobs.length) resolve();
          else dispatch(w);
        });
        w.on("error", (err) => reject(new RunFailure(`simulation worker failed: ${err.message}`)));
        w.on("exit", (code) => {
          if (done < jobs.length) reject(new RunFailure(`simulation worker exited (${code})`));
        });
        dispatch(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return outcomes;
}

/** The worker's error as the same kind of failure in this thread. */
function failure(e: { name: string; message: string }): Error {
  if (e.name === "UsageError") return new UsageError(e.message);
  if (e.name === "RunFailure") return new RunFailure(e.message);
  return new Error(`simulation failed: ${e.message}`);
}
