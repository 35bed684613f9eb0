/**
 * Shared fixture of the DMA tests: the zen3-2s-ptdma machine with its DMA engines, folios to
 * copy, and one offloadCopy call run to completion.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { loadProfile, profilesDir } from "../machine/profile.js";
import { validateProfile } from "../machine/schema.js";
import type { Exec } from "../migrate/exec.js";
import { Kernel } from "../migrate/kernel.js";
import { MigrationRun } from "../migrate/run.js";
import { FOLIO_CONTENT_COPIED, type Folio } from "../mm/folio.js";
import { DmaEngines, type DmaSpec } from "./dma-device.js";
import type { Migrator } from "./migrator.js";

export const zen3 = loadProfile("zen3-2s-ptdma");

/** The `dma` section of zen3-2s-ptdma, read from the file. */
export function zen3Dma(): DmaSpec {
  const r = validateProfile(parse(readFileSync(join(profilesDir(), "zen3-2s-ptdma.yaml"), "utf8")));
  if (!r.ok || r.profile.dma === undefined) throw new Error("zen3-2s-ptdma has no dma section");
  return r.profile.dma;
}

/** A zen3 machine and its engines (the profile's, or `dma` when given). */
export function bootDma(o: { contents?: boolean; inject?: string; dma?: DmaSpec } = {}) {
  const k = new Kernel({ profile: zen3, contents: o.contents, inject: o.inject });
  return { k, engines: new DmaEngines(k, o.dma ?? zen3Dma()) };
}

/** `count` order-`order` folios allocated on `nid` in turn (physically ascending on a fresh node). */
export function allocFolios(k: Kernel, nid: number, order: number, count: number): Folio[] {
  const out: Folio[] = [];
  for (let i = 0; i < count; i++) {
    const f = k.phys.allocFolio(nid, order);
    if (f === null) throw new Error(`node ${nid} is out of order-${order} folios`);
    out.push(f);
  }
  return out;
}

export interface CopyResult {
  rc: number;
  /** Virtual time the call took. */
  ns: number;
  exec: Exec;
}

/** One offloadCopy call by a task on CPU 0, run to completion. */
export function runCopy(
  k: Kernel,
  m: Migrator,
  dst: readonly Folio[],
  src: readonly Folio[],
): CopyResult {
  const exec = k.newExec(k.spawnProcess(0));
  const run = new MigrationRun(k, exec, { alloc: () => null, free: () => {} });
  const t0 = k.sim.now;
  const p = k.sim.spawn(
    (function* () {
      const rc = yield* m.offloadCopy(run, dst, src);
      yield* exec.sync();
      return rc;
    })(),
  );
  const rc = k.sim.runUntilDone(p);
  return { rc, ns: k.sim.now - t0, exec };
}

export const marked = (dst: readonly Folio[]) =>
  dst.filter((f) => f.migrateInfo & FOLIO_CONTENT_COPIED).length;
