/**
 * Fault injection: the failures the kernel must survive (DMA descriptor errors, channel
 * timeouts, mapping failures, copy-worker crashes, partial batches, allocation failures on
 * the target node, pins taken during migration), each firing with a probability or on a
 * schedule, from its own seeded stream so adding one kind never shifts another.
 *
 * Spec text (`--inject`): comma-separated `kind` (probability 1), `kind=P` (0 <= P <= 1),
 * `kind%N` (every Nth chance), `kind@N+M+...` (exactly those chances, counted from 1), or
 * `all` (every kind at probability 0.05).
 */
import { UsageError } from "../errors.js";
import { Rng } from "../sim/rng.js";

export const FAULT_KINDS = [
  "dma-desc-error",
  "dma-timeout",
  "dma-map-error",
  "worker-crash",
  "partial-batch",
  "alloc-fail",
  "pin-during-migration",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Probability of each kind under `all`: often enough to hit every path in a short run. */
const ALL_PROBABILITY = 0.05;

type Rule =
  | { kind: "probability"; p: number }
  | { kind: "every"; n: number }
  | { kind: "at"; at: Set<number> };

export class FaultInjector {
  private readonly rules = new Map<FaultKind, Rule>();
  private readonly streams = new Map<FaultKind, Rng>();
  private readonly chances = new Map<FaultKind, number>();
  /** How many times each kind fired. */
  readonly fired = new Map<FaultKind, number>();

  constructor(
    private readonly seed = 1,
    spec = "",
  ) {
    if (spec.trim() !== "") this.parse(spec);
  }

  get enabled(): boolean {
    return this.rules.size > 0;
  }

  /** One chance for `kind` to fire; true if it does. Costs nothing when no rule is set. */
  hit(kind: FaultKind): boolean {
    if (this.rules.size === 0) return false;
    const rule = this.rules.get(kind);
    if (rule === undefined) return false;
    const chance = (this.chances.get(kind) ?? 0) + 1;
    this.chances.set(kind, chance);
    let fire: boolean;
    if (rule.kind === "probability") fire = this.stream(kind).next() < rule.p;
    else if (rule.kind === "every") fire = chance % rule.n === 0;
    else fire = rule.at.has(chance);
    if (fire) this.fired.set(kind, (this.fired.get(kind) ?? 0) + 1);
    return fire;
  }

  /** A number in [0, 1) from the kind's stream, for choosing where a fault lands. */
  draw(kind: FaultKind): number {
    return this.stream(kind).next();
  }

  private stream(kind: FaultKind): Rng {
    let s = this.streams.get(kind);
    if (s === undefined) {
      s = new Rng(this.seed).fork(kind);
      this.streams.set(kind, s);
    }
    return s;
  }

  private parse(spec: string): void {
    for (const raw of spec.split(",")) {
      const item = raw.trim();
      if (item === "all") {
        for (const k of FAULT_KINDS) this.rules.set(k, { kind: "probability", p: ALL_PROBABILITY });
        continue;
      }
      const m = /^([a-z-]+)(?:=([0-9.]+)|@([0-9+]+)|%([0-9]+))?$/.exec(item);
      const kind = m?.[1] as FaultKind | undefined;
      if (m === null || kind === undefined || !(FAULT_KINDS as readonly string[]).includes(kind)) {
        throw new UsageError(
          `--inject: unknown fault '${item}' (kinds: ${FAULT_KINDS.join(", ")}, all)`,
        );
      }
      if (m[2] !== undefined) {
        const p = Number(m[2]);
        if (!(p >= 0 && p <= 1))
          throw new UsageError(`--inject: ${kind}=${m[2]}: a probability is 0..1`);
        this.rules.set(kind, { kind: "probability", p });
      } else if (m[3] !== undefined) {
        const at = m[3].split("+").map(Number);
        if (at.some((n) => !Number.isInteger(n) || n < 1)) {
          throw new UsageError(`--inject: ${kind}@${m[3]}: chances are counted from 1`);
        }
        this.rules.set(kind, { kind: "at", at: new Set(at) });
      } else if (m[4] !== undefined) {
        const n = Number(m[4]);
        if (n < 1) throw new UsageError(`--inject: ${kind}%${m[4]}: every Nth needs N >= 1`);
        this.rules.set(kind, { kind: "every", n });
      } else {
        this.rules.set(kind, { kind: "probability", p: 1 });
      }
    }
  }
}
