/**
 * Fault-in of an application's regions when it starts: every folio allocated under the
 * region's policy and mapped, as first touches from the thread that uses the region.
 */
import { RunFailure } from "../../errors.js";
import type { Kernel } from "../../migrate/kernel.js";
import { PAGE_SIZE } from "../../mm/folio.js";
import { interleaveIndex, type Mempolicy, policyNodes } from "../../mm/mempolicy.js";
import type { Task } from "../../mm/task.js";
import { allocFaultFolio } from "../../policy/reclaim.js";
import { pageKey } from "../region.js";
import type { AppRegion } from "./app.js";

/**
 * Fault in every folio of `region` under `policy`, as first touches from a CPU of `localNid`;
 * in bytes mode each page gets the bytes of (seed, mm, virtual page).
 */
export function faultIn(
  k: Kernel,
  task: Task,
  region: AppRegion,
  policy: Mempolicy,
  localNid: number,
  seed: number,
): void {
  const mm = task.mm;
  if (mm === null) throw new Error("faultIn: no mm");
  const size = region.folioSizeBytes;
  for (let addr = region.vma.start; addr < region.vma.end; addr += size) {
    const ilx = interleaveIndex(region.vma, addr, region.order);
    const folio = allocFaultFolio(
      k,
      task,
      policyNodes(k.profile, policy, localNid, ilx),
      region.order,
    );
    if (folio === null) {
      throw new RunFailure(
        `out of memory: no node the policy allows has a free ${size}-byte folio for 0x${addr.toString(16)}`,
      );
    }
    mm.mapFolio(region.vma, addr, folio, { dirty: true });
    k.ctx.lru?.add(folio);
    region.account(folio.nid, size);
    // Bytes mode: every page holds bytes of its own, for the threads' reads and the final check.
    const contents = k.phys.contents;
    if (contents !== null) {
      const vpn = addr / PAGE_SIZE;
      for (let j = 0; j < folio.nrPages; j++)
        contents.fillPage(folio.pfn + j, pageKey(seed, mm.id, vpn + j));
    }
  }
}
