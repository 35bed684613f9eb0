/**
 * The kernel tunables a scenario sets (`sysctl:`), under their /proc/sys names: `kernel.*`
 * (kernel.numa_balancing, ...) and `vm.*` (vm.min_free_kbytes, ...); a knob that lives in sysfs
 * takes the name of its file under /sys/kernel/mm (`mm.numa.demotion_enabled`). Each default is
 * the kernel's. A scenario overrides one with `--set sysctl.kernel.numa_balancing=2`.
 */
import { z } from "zod";

export const SysctlSchema = z.strictObject({
  kernel: z.strictObject({}).prefault({}).describe("/proc/sys/kernel"),
  vm: z.strictObject({}).prefault({}).describe("/proc/sys/vm"),
  mm: z.strictObject({}).prefault({}).describe("/sys/kernel/mm"),
});

export type Sysctl = z.output<typeof SysctlSchema>;
