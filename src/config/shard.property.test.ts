import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { packageVersion } from "../machine/package-root.js";
import { usageError } from "../test-support/usage-error.js";
import {
  checkShardCount,
  checkShardSet,
  parseShard,
  type ShardPart,
  shardPositions,
} from "./shard.js";

/** Items and a shard count no larger than the items, as --shard accepts them. */
const itemsAndCount = fc
  .integer({ min: 1, max: 500 })
  .chain((total) => fc.tuple(fc.constant(total), fc.integer({ min: 1, max: total })));

describe("the shard partition", () => {
  it("puts every item in exactly one shard, none empty, sizes within one of each other", () => {
    fc.assert(
      fc.property(itemsAndCount, ([total, count]) => {
        const shards = Array.from({ length: count }, (_, i) =>
          shardPositions(total, { index: i + 1, count }),
        );
        const all = shards.flat().sort((a, b) => a - b);
        expect(all).toEqual(Array.from({ length: total }, (_, p) => p));
        const sizes = shards.map((s) => s.length);
        expect(Math.min(...sizes)).toBeGreaterThan(0);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it("gives an item the same shard whatever the other items: (position mod N) + 1", () => {
    fc.assert(
      fc.property(itemsAndCount, fc.nat(500), ([total, count], more) => {
        for (let index = 1; index <= count; index++) {
          const few = shardPositions(total, { index, count });
          const many = shardPositions(total + more, { index, count });
          expect(many.slice(0, few.length)).toEqual(few);
          for (const p of few) expect(p % count).toBe(index - 1);
        }
      }),
    );
  });
});

describe("--shard I/N", () => {
  it("takes 1 <= I <= N and refuses anything else with one line naming it", () => {
    expect(parseShard("2/3")).toEqual({ index: 2, count: 3 });
    expect(parseShard(" 1 / 1 ")).toEqual({ index: 1, count: 1 });
    expect(usageError(() => parseShard("0/2"))).toBe("--shard 0/2: shards count from 1 (1/2)");
    expect(usageError(() => parseShard("3/2"))).toBe("--shard 3/2: index 3 is beyond the 2 shards");
    expect(usageError(() => parseShard("1/0"))).toBe("--shard 1/0: the count must be at least 1");
    for (const bad of ["a/b", "1", "1/2/3", "-1/2", "1.5/2", ""]) {
      expect(usageError(() => parseShard(bad))).toBe(
        `--shard: expected INDEX/COUNT such as 2/3, got '${bad}'`,
      );
    }
    expect(usageError(() => parseShard("99999999999999999999/1"))).toMatch(/too large/);
    expect(usageError(() => checkShardCount({ index: 1, count: 7 }, 6, "runs"))).toBe(
      "--shard 1/7: there are 6 runs, so at most 6 shards",
    );
  });
});

describe("checkShardSet", () => {
  const part = (index: number, over: Partial<ShardPart> = {}): ShardPart => ({
    file: `s${index}.json`,
    version: packageVersion(),
    shard: { index, count: 3 },
    definition: { "--sweep": ["a=1,2,3"] },
    digest: "d1",
    ...over,
  });

  it("accepts a whole set in any order", () => {
    expect(() => checkShardSet([part(3), part(1), part(2)])).not.toThrow();
  });

  it("names what is wrong with a set in one line", () => {
    expect(usageError(() => checkShardSet([part(1), part(3)]))).toBe("merge: shard 2/3 missing");
    expect(usageError(() => checkShardSet([part(2)]))).toBe("merge: shards 1/3, 3/3 missing");
    expect(usageError(() => checkShardSet([part(1), part(2), { ...part(2), file: "x" }]))).toBe(
      "merge: s2.json and x are both shard 2/3",
    );
    expect(usageError(() => checkShardSet([part(1), part(2, { version: "0.0.1" })]))).toMatch(
      /^merge: s2\.json was written by pagemig 0\.0\.1; this is /,
    );
    expect(
      usageError(() => checkShardSet([part(1), part(2, { definition: { "--sweep": ["a=1"] } })])),
    ).toBe("merge: s2.json and s1.json differ in --sweep");
    expect(
      usageError(() => checkShardSet([part(1), part(2, { shard: { index: 2, count: 4 } })])),
    ).toBe("merge: s2.json is shard 2/4 and s1.json shard 1/3: different shard counts");
    expect(usageError(() => checkShardSet([part(1), part(2, { digest: "d2" })]))).toBe(
      "merge: s2.json and s1.json were run on different inputs (digest d2 against d1)",
    );
  });
});
