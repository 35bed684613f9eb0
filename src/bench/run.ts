/**
 * `npm run bench`: the performance targets of the model, measured on this machine.
 *
 * 1. Simulation speed in metadata mode: simulated 4K folios per second of wall time for
 *    move_pages(2) of 1 GiB (target: at least 500,000).
 * 2. Bytes mode: hostCopyGBps of the serial migrator against a plain TypedArray.set copy of the
 *    same bytes between two SharedArrayBuffers, measured in the same run (target: >= 70%); and
 *    dcbm on 2 channels (two worker threads) against serial (>= 1.25x) and against two worker
 *    threads copying with TypedArray.set (>= 85%), compared within rounds.
 * 3. Booting a 1 TiB profile (target: under 2 s and under 300 MB resident), in a fresh process
 *    so that the figure is not inflated by what the other benchmarks allocated.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { noteHostMemory } from "../content/release.js";
import { twoWorkerSetBaselineGBps } from "../content/workers.js";
import { loadProfile } from "../machine/profile.js";
import { Kernel } from "../migrate/kernel.js";
import { runMovePagesBench } from "../workload/move-pages-bench.js";

const GiB = 1 << 30;

interface Check {
  name: string;
  value: string;
  target: string;
  ok: boolean;
}

async function simulationSpeed(): Promise<Check> {
  const profile = loadProfile("zen3-2s-ptdma");
  let hostNs = 0;
  let folios = 0;
  await runMovePagesBench({
    migrator: "serial",
    profile,
    folioSizeBytes: 4096,
    folioCount: GiB / 4096,
    runs: 4,
    seed: 1,
    verify: false,
    onMove: (ns, n) => {
      hostNs += ns;
      folios += n;
    },
  });
  const perS = folios / (hostNs / 1e9);
  return {
    name: `metadata mode: simulated 4K folios/s over ${folios.toLocaleString("en-US")} folios of move_pages(2) calls of 1 GiB`,
    value: Math.round(perS).toLocaleString("en-US"),
    target: ">= 500,000",
    ok: perS >= 500_000,
  };
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** TypedArray.set of `bytes` in chunks of `chunk` between two SharedArrayBuffers. */
function plainSetGBps(bytes: number, chunk: number): number {
  noteHostMemory(2 * bytes);
  const src = new Uint8Array(new SharedArrayBuffer(bytes));
  const dst = new Uint8Array(new SharedArrayBuffer(bytes));
  for (let i = 0; i < bytes; i += 4096) src[i] = i & 0xff;
  dst.fill(1);
  let best = 0;
  for (let rep = 0; rep < 3; rep++) {
    const t0 = process.hrtime.bigint();
    for (let off = 0; off < bytes; off += chunk) dst.set(src.subarray(off, off + chunk), off);
    const ns = Number(process.hrtime.bigint() - t0);
    best = Math.max(best, bytes / ns);
  }
  return best;
}

async function bytesMode(): Promise<Check[]> {
  const profile = loadProfile("zen3-2s-ptdma");
  const checks: Check[] = [];
  const hostGBps = async (folio: number, migrator: "serial" | "dcbm", workers = 1) =>
    (
      await runMovePagesBench({
        migrator,
        workers,
        profile,
        folioSizeBytes: folio,
        folioCount: GiB / folio,
        runs: 2,
        seed: 1,
        verify: true,
        batchPages: 262144,
      })
    ).hostCopyGBps ?? 0;
  for (const folio of [4096, 2 << 20]) {
    const host = await hostGBps(folio, "serial");
    const plain = plainSetGBps(GiB, folio);
    checks.push({
      name: `bytes mode ${folio === 4096 ? "4K" : "2M"}: serial hostCopyGBps vs TypedArray.set (${plain.toFixed(2)} GB/s)`,
      value: `${host.toFixed(2)} GB/s = ${((host / plain) * 100).toFixed(0)}%`,
      target: ">= 70%",
      ok: host >= 0.7 * plain,
    });
  }
  // 1 GiB of 2M folios, every page verified: dcbm on 2 channels copies on two worker threads.
  // This host's memory bandwidth drifts by tens of percent from minute to minute, so the three
  // are measured back to back in each round (in a rotating order) and compared within the
  // round; the checks hold the median of the rounds' ratios, over nine rounds because a
  // round's ratios scatter by +-20% and the median of five did not settle.
  const ROUNDS = 9;
  const measures = [
    () => hostGBps(2 << 20, "serial"),
    () => hostGBps(2 << 20, "dcbm", 2),
    async () => twoWorkerSetBaselineGBps(GiB, 2 << 20),
  ];
  const overSerial: number[] = [];
  const overTwo: number[] = [];
  const rounds: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const gbps = [0, 0, 0];
    for (let i = 0; i < 3; i++) {
      const m = (round + i) % 3;
      gbps[m] = await measures[m]();
    }
    const [serial, dcbm, twoWorkers] = gbps;
    overSerial.push(dcbm / serial);
    overTwo.push(dcbm / twoWorkers);
    rounds.push(`${serial.toFixed(2)}/${dcbm.toFixed(2)}/${twoWorkers.toFixed(2)}`);
  }
  const medianOverSerial = median(overSerial);
  const medianOverTwo = median(overTwo);
  checks.push(
    {
      name: `bytes mode 2M: dcbm 2 channels hostCopyGBps vs serial, median of ${ROUNDS} rounds (GB/s serial/dcbm/two workers: ${rounds.join(", ")})`,
      value: `${medianOverSerial.toFixed(2)}x`,
      target: ">= 1.25x",
      ok: medianOverSerial >= 1.25,
    },
    {
      name: "bytes mode 2M: dcbm 2 channels vs two worker threads with TypedArray.set, median of the same rounds",
      value: `${(medianOverTwo * 100).toFixed(0)}%`,
      target: ">= 85%",
      ok: medianOverTwo >= 0.85,
    },
  );
  return checks;
}

/** Run in a child process: boot a 1 TiB machine and report wall time and resident memory. */
function bootChild(): void {
  const t0 = performance.now();
  const k = new Kernel({ profile: loadProfile("tiered-1t") });
  const ms = performance.now() - t0;
  const rss = process.memoryUsage().rss;
  process.stdout.write(JSON.stringify({ ms, rssMB: rss / 2 ** 20, pages: k.phys.freePages(0) }));
}

function bootTiB(): Check[] {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--boot-child"], {
    encoding: "utf8",
  });
  const { ms, rssMB } = JSON.parse(out) as { ms: number; rssMB: number };
  return [
    {
      name: "boot a 1 TiB profile (tiered-1t): wall time",
      value: `${ms.toFixed(1)} ms`,
      target: "< 2000 ms",
      ok: ms < 2000,
    },
    {
      name: "boot a 1 TiB profile: resident memory of the whole process",
      value: `${rssMB.toFixed(0)} MB`,
      target: "< 300 MB",
      ok: rssMB < 300,
    },
  ];
}

if (process.argv.includes("--boot-child")) {
  bootChild();
} else {
  const checks = [...bootTiB(), await simulationSpeed(), ...(await bytesMode())];
  for (const c of checks) {
    process.stdout.write(`${c.ok ? "ok  " : "FAIL"}  ${c.name}: ${c.value} (target ${c.target})\n`);
  }
  const failed = checks.filter((c) => !c.ok).length;
  process.stdout.write(`${checks.length - failed} passed, ${failed} failed\n`);
  process.exitCode = failed > 0 ? 1 : 0;
}
