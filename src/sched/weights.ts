/**
 * Nice levels and load weights, as kernel/sched/core.c maps them: each nice step changes a
 * task's share of a contended CPU by about 10% against a nice-0 task (weight 1024).
 */

export const MIN_NICE = -20;
export const MAX_NICE = 19;
/** NICE_0_LOAD: the weight of a nice-0 task. */
export const NICE_0_LOAD = 1024;

/** sched_prio_to_weight[nice + 20]: the kernel's table, a factor of about 1.25 per step. */
const PRIO_TO_WEIGHT: readonly number[] = [
  88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904,
  3906, 3121, 2501, 1991, 1586, 1277, 1024, 820, 655, 526, 423, 335, 272, 215, 172, 137, 110, 87,
  70, 56, 45, 36, 29, 23, 18, 15,
];

/** The load weight of a SCHED_NORMAL task at `nice` (an integer in MIN_NICE..MAX_NICE). */
export function niceToWeight(nice: number): number {
  if (!Number.isInteger(nice) || nice < MIN_NICE || nice > MAX_NICE) {
    throw new RangeError(`nice ${nice} is not an integer in ${MIN_NICE}..${MAX_NICE}`);
  }
  return PRIO_TO_WEIGHT[nice - MIN_NICE];
}
