/**
 * Every copy engine of MIGRATORS (but serial, which is no migrator) through the conformance
 * suite, at each worker count whose code paths differ: one worker, a few (more folios than
 * workers, uneven splits), and more workers than small batches have folios (mtcopy then cuts
 * folios into parts; dcbm uses min(channels, folios) channels, up to all 16 of zen3).
 */
import { describe, expect, it } from "vitest";
import type { MigGen } from "../migrate/core.js";
import type { MigrationRun } from "../migrate/run.js";
import { FOLIO_CONTENT_COPIED, type Folio } from "../mm/folio.js";
import { BatchCpuMigrator } from "./batch-cpu.js";
import { type BatchSpec, checkBatch, migratorConformance } from "./conformance.case.js";
import { DmaEngines } from "./dma-device.js";
import { createMigrator, MIGRATORS, type MigratorName } from "./engines.js";
import type { Migrator, MigratorCounters } from "./migrator.js";
import type { MtPlacement } from "./mtcopy.js";

interface Config {
  name: Exclude<MigratorName, "serial">;
  workers: number;
  placement: MtPlacement;
  /** dcbm declines smaller batches with -EOPNOTSUPP (0: never, as posted). */
  minBatchFolios: number;
}

const config = (name: Config["name"], workers = 1, placement: MtPlacement = "spread") => ({
  name,
  workers,
  placement,
  minBatchFolios: 0,
});

const CONFIGS: Config[] = [
  config("batch-cpu"),
  ...[1, 3, 16].flatMap((n) => [config("mtcopy", n, "spread"), config("mtcopy", n, "fill")]),
  ...[1, 2, 16].map((n) => config("dcbm", n)),
  // The size policy the framework allows: the -EOPNOTSUPP path.
  { ...config("dcbm", 2), minBatchFolios: 8 },
  ...[1, 4].map((n) => config("dcbm-v2", n)),
];

function label(c: Config): string {
  if (c.name === "mtcopy") return `mtcopy (${c.workers} threads, ${c.placement})`;
  if (c.name === "batch-cpu") return "batch-cpu";
  const min = c.minBatchFolios > 0 ? `, declining batches under ${c.minBatchFolios}` : "";
  return `${c.name} (${c.workers} channels${min})`;
}

/** A broken migrator: copies with batch-cpu (or not), then does `after` to the batch. */
class Broken implements Migrator {
  readonly name = "broken";
  readonly counters: MigratorCounters = { foliosMigrated: 0, foliosFailures: 0 };
  private readonly inner = new BatchCpuMigrator();

  constructor(
    private readonly copy: boolean,
    private readonly after: (
      run: MigrationRun,
      dst: readonly Folio[],
      src: readonly Folio[],
      m: Broken,
    ) => void,
  ) {}

  *offloadCopy(run: MigrationRun, dst: readonly Folio[], src: readonly Folio[]): MigGen<number> {
    if (this.copy) yield* this.inner.offloadCopy(run, dst, src);
    this.counters.foliosMigrated = this.inner.counters.foliosMigrated;
    this.after(run, dst, src, this);
    return 0;
  }
}

const markAll = (dst: readonly Folio[]) => {
  for (const d of dst) d.migrateInfo |= FOLIO_CONTENT_COPIED;
};

describe("the conformance checks", () => {
  const spec: BatchSpec = {
    orders: [0, 2, 9, 0, 5],
    srcNid: 0,
    dstNid: 1,
    srcLayout: "contiguous",
    dstLayout: "scattered",
    poison: -1,
    faults: "",
    seed: 5,
  };
  const violations = (after: ConstructorParameters<typeof Broken>[1], copy = true) =>
    checkBatch(() => new Broken(copy, after), spec).violations.join("\n");

  it("pass batch-cpu on the same batch", () => {
    expect(violations(() => {})).toBe("");
  });

  it("catch a destination marked but never copied", () => {
    const v = violations((_run, dst, _src, m) => {
      markAll(dst);
      m.counters.foliosMigrated += dst.length;
    }, false);
    expect(v).toMatch(/dst 0 is marked, but page 0 does not hold its source's bytes/);
  });

  it("catch a copy that returns 0 without marking", () => {
    const v = violations((_run, dst, _src, m) => {
      for (const d of dst) d.migrateInfo &= ~FOLIO_CONTENT_COPIED;
      m.counters.foliosMigrated = 0;
      m.counters.foliosFailures += dst.length;
    });
    expect(v).toMatch(/returned 0 with no fault, but marked 0 of 5/);
  });

  it("catch counters that do not add up", () => {
    const v = violations((_run, _dst, _src, m) => {
      m.counters.foliosFailures++;
    });
    expect(v).toMatch(/counters: folios_migrated \+5, folios_failures \+1 for 5 of 5 marked/);
  });

  it("catch a copy that takes no virtual time", () => {
    const v = violations((run, dst, src, m) => {
      for (let i = 0; i < src.length; i++) {
        run.k.phys.contents?.copyPages(dst[i].pfn, src[i].pfn, src[i].nrPages);
      }
      markAll(dst);
      m.counters.foliosMigrated = dst.length;
    }, false);
    expect(v).toMatch(/in 0 ns: less than the \d+(\.\d+)? ns memory allows/);
  });

  it("catch a DMA channel left held", () => {
    const v = violations((run) => {
      DmaEngines.of(run.k).requestChannel();
    });
    expect(v).toMatch(/1 DMA channels still held/);
  });
});

describe("conformance configurations", () => {
  it("cover every migrator but serial", () => {
    const covered = new Set(CONFIGS.map((c) => c.name));
    expect([...covered].sort()).toEqual(MIGRATORS.filter((m) => m !== "serial").sort());
  });
});

for (const c of CONFIGS) {
  migratorConformance(label(c), (k) => {
    const m = createMigrator(k, c.name, c);
    if (m === null) throw new Error(`${c.name} is not a migrator`);
    return m;
  });
}
