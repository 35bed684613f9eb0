/**
 * A simulation worker thread of the tuner's pool: runs the jobs it is sent, one at a time, and
 * answers each with its outcome or the error it threw (by class name, so the pool can raise the
 * same kind of failure).
 */
import { parentPort } from "node:worker_threads";
import type { WorkerReply } from "./pool.js";
import type { SimJob } from "./sim-job.js";
import { simulate } from "./simulate.js";

if (parentPort === null) throw new Error("tune/worker.js must run as a worker thread");
const port = parentPort;

port.on("message", async (msg: { index: number; job: SimJob }) => {
  let reply: WorkerReply;
  try {
    reply = { index: msg.index, outcome: await simulate(msg.job) };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    reply = { index: msg.index, error: { name: e.name, message: e.message } };
  }
  port.postMessage(reply);
});
