/**
 * Sharding a command's work across machines (`--shard I/N`, `pagemig merge`): the spec, the
 * partition, the digest of a shard's inputs and the checks that a set of shards is whole.
 *
 * The partition deals the work round-robin: the item at position p (from 0, in an order the
 * command defines) belongs to shard (p mod N) + 1. Every item is in exactly one shard, shards
 * differ by at most one item, and an item's shard depends only on its position and N, so each
 * shard can be run on its own, anywhere, and keep what the item does in the unsharded run.
 */
import { createHash } from "node:crypto";
import { UsageError } from "../errors.js";
import type { LoadedProfile } from "../machine/loaded-profile.js";
import { packageVersion } from "../machine/package-root.js";
import type { MachineProfile } from "../machine/schema.js";

export interface Shard {
  /** From 1. */
  index: number;
  count: number;
}

const SPEC = /^\s*(\d+)\s*\/\s*(\d+)\s*$/;

/** `--shard I/N`, 1 <= I <= N. */
export function parseShard(text: string): Shard {
  const m = SPEC.exec(text);
  if (m === null) throw new UsageError(`--shard: expected INDEX/COUNT such as 2/3, got '${text}'`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count)) {
    throw new UsageError(`--shard ${text}: too large`);
  }
  if (count === 0) throw new UsageError(`--shard ${text}: the count must be at least 1`);
  if (index === 0) throw new UsageError(`--shard ${text}: shards count from 1 (1/${count})`);
  if (index > count) {
    throw new UsageError(`--shard ${text}: index ${index} is beyond the ${count} shards`);
  }
  return { index, count };
}

/** The positions (from 0) of `total` items that belong to `shard`, ascending. */
export function shardPositions(total: number, shard: Shard): number[] {
  const out: number[] = [];
  for (let p = shard.index - 1; p < total; p += shard.count) out.push(p);
  return out;
}

/** Refuses more shards than items (`what`: "runs in the sweep"): one would have nothing to do. */
export function checkShardCount(shard: Shard, total: number, what: string): void {
  if (shard.count > total) {
    throw new UsageError(
      `--shard ${shard.index}/${shard.count}: there are ${total} ${what}, so at most ${total} shards`,
    );
  }
}

/** A hex SHA-256 of `value`'s JSON: shards of one job carry the same digest of their inputs. */
export function digestOf(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex");
}

/** What a profile defines, for a digest: not where it was read from, which differs by machine. */
export function profileDefinition(p: LoadedProfile): MachineProfile {
  const { name, description, topology, cpu, fabric, kernel, costs, dma, memory } = p;
  return { name, description, topology, cpu, fabric, kernel, costs, dma, memory };
}

/** A shard's output as `pagemig merge` read it: the parsed JSON and the file it came from. */
export interface ShardFile {
  file: string;
  doc: unknown;
}

/** What `pagemig merge` checks of one shard's file before joining it to the others. */
export interface ShardPart {
  file: string;
  /** The pagemig that wrote it. */
  version: string;
  shard: Shard;
  /** What every shard of one job must have alike, by the name a message gives it. */
  definition: Record<string, unknown>;
  /** The digest of the shard's inputs (digestOf), for what `definition` does not show. */
  digest: string;
}

const name = (s: Shard) => `${s.index}/${s.count}`;

/**
 * Refuses, with one line naming the files, shards written by another pagemig (the merged
 * report must be the one this version writes), of different jobs, counts or inputs, the
 * same shard twice, or an incomplete set.
 */
export function checkShardSet(parts: readonly ShardPart[]): void {
  const version = packageVersion();
  const first = parts[0];
  for (const p of parts) {
    if (p.version !== version) {
      throw new UsageError(
        `merge: ${p.file} was written by pagemig ${p.version}; this is ${version}, whose report would differ`,
      );
    }
    for (const [field, value] of Object.entries(first.definition)) {
      if (JSON.stringify(p.definition[field]) !== JSON.stringify(value)) {
        throw new UsageError(`merge: ${p.file} and ${first.file} differ in ${field}`);
      }
    }
    if (p.shard.count !== first.shard.count) {
      throw new UsageError(
        `merge: ${p.file} is shard ${name(p.shard)} and ${first.file} shard ${name(first.shard)}: different shard counts`,
      );
    }
    if (p.digest !== first.digest) {
      throw new UsageError(
        `merge: ${p.file} and ${first.file} were run on different inputs (digest ${p.digest.slice(0, 12)} against ${first.digest.slice(0, 12)})`,
      );
    }
  }
  const seen = new Map<number, string>();
  for (const p of parts) {
    const other = seen.get(p.shard.index);
    if (other !== undefined) {
      throw new UsageError(`merge: ${other} and ${p.file} are both shard ${name(p.shard)}`);
    }
    seen.set(p.shard.index, p.file);
  }
  const missing: string[] = [];
  for (let i = 1; i <= first.shard.count; i++) {
    if (!seen.has(i)) missing.push(name({ index: i, count: first.shard.count }));
  }
  if (missing.length > 0) {
    throw new UsageError(
      `merge: shard${missing.length > 1 ? "s" : ""} ${missing.join(", ")} missing`,
    );
  }
}
