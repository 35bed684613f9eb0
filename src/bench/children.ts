/**
 * The work of the bench's fresh processes (`run.js --child MODE`): each prints one JSON object
 * with its resident memory before the work, the process's peak, its wall time and its figures.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseProfile } from "../machine/parse.js";
import { loadProfile, profilesDir } from "../machine/profile.js";
import { Kernel } from "../migrate/kernel.js";
import { runScenario } from "../workload/app/run-scenario.js";
import { checkScenarioOnProfile, validateScenario } from "../workload/app/scenario.js";
import { runMovePagesBench } from "../workload/move-pages-bench.js";

const GiB = 2 ** 30;

/** 64 threads, 32 per socket, over 8 GiB of 4K folios and 56 GiB of 2M folios, interleaved. */
function appScenario(seconds: number) {
  const threads = (cpu: number) => [
    { cpu, count: 32, region: "heap", pattern: { kind: "zipf", skew: 0.6 }, compute: "20ns" },
  ];
  const interleave = { mode: "interleave", nodes: [0, 1] };
  return validateScenario(
    {
      description: "issue 10's speed scenario: 64 threads touching 64 GiB",
      profile: "zen3-2s-ptdma",
      duration: `${seconds}s`,
      quantum: "1ms",
      processes: [
        {
          name: "small",
          regions: [{ name: "heap", size: "8G", folioSize: "4K", policy: interleave }],
          threads: threads(0),
        },
        {
          name: "huge",
          regions: [{ name: "heap", size: "56G", folioSize: "2M", policy: interleave }],
          threads: threads(64),
        },
      ],
    },
    "bench scenario",
  );
}

/**
 * Issue 11's speed scenario: memory tiering at work. turin-cxl with its DRAM node cut to 32G
 * and its CXL node to 64G, so that one 64G heap of THPs outgrows DRAM; 64 threads read a hot
 * quarter of it that moves every 2 s, with promotion (numa_balancing 2) and demotion on.
 */
function tieringScenario(seconds: number) {
  const text = readFileSync(join(profilesDir(), "turin-cxl.yaml"), "utf8")
    .replace("name: turin-cxl", "name: turin-cxl-96g")
    .replace("memory: 768G", "memory: 32G")
    .replace("memory: 512G", "memory: 64G");
  const profile = parseProfile(text, "bench tiering profile", { source: "turin-cxl.yaml, cut" });
  const s = validateScenario(
    {
      description: "issue 11's speed scenario: tiering, 64 threads over 64 GiB",
      profile: profile.name,
      duration: `${seconds}s`,
      quantum: "1ms",
      processes: [
        {
          name: "app",
          regions: [{ name: "heap", size: "64G", folioSize: "2M" }],
          threads: [
            {
              cpu: 0,
              count: 64,
              region: "heap",
              pattern: { kind: "hotset", fraction: 0.25, probability: 0.9, period: "2s" },
              compute: "20ns",
            },
          ],
        },
      ],
      sysctl: { kernel: { numa_balancing: 2 }, mm: { numa: { demotion_enabled: true } } },
    },
    "bench tiering scenario",
  );
  return { s, profile };
}

async function measure(work: () => Promise<Record<string, number>>): Promise<void> {
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const figures = await work();
  const wallMs = performance.now() - t0;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify({ rssBefore, peakRss, wallMs, ...figures }));
}

export async function runChild(mode: string, args: readonly string[]): Promise<void> {
  if (mode === "boot") {
    await measure(async () => {
      const k = new Kernel({ profile: loadProfile("tiered-1t") });
      return { pages: k.phys.freePages(0), rss: process.memoryUsage().rss };
    });
  } else if (mode === "peak") {
    const folioCount = (16 * GiB) / 4096;
    await measure(async () => {
      await runMovePagesBench({
        migrator: "serial",
        profile: loadProfile("zen3-2s-ptdma"),
        folioSizeBytes: 4096,
        folioCount,
        runs: 1,
        seed: 1,
        verify: false,
      });
      return { folios: folioCount };
    });
  } else if (mode === "tiering") {
    const { s, profile } = tieringScenario(Number(args[0]));
    checkScenarioOnProfile(s, profile, "bench tiering scenario");
    await measure(async () => {
      const r = runScenario(s, profile);
      return { migratedPages: r.vmstat.pgmigrate_success };
    });
  } else if (mode === "app") {
    const s = appScenario(Number(args[0]));
    const profile = loadProfile(s.profile);
    checkScenarioOnProfile(s, profile, "bench scenario");
    await measure(async () => {
      runScenario(s, profile);
      return {};
    });
  } else {
    throw new Error(`bench: unknown child mode ${mode}`);
  }
}
