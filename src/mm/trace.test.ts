import { describe, expect, it } from "vitest";
import { Tracer } from "./trace.js";

describe("Tracer", () => {
  it("drops events while disabled", () => {
    const t = new Tracer();
    t.emit("mm_migrate_pages_start", { mode: "MIGRATE_SYNC", reason: "syscall_or_cpuset" });
    expect(t.events).toEqual([]);
  });

  it("stamps events with the injected clock and CPU", () => {
    const t = new Tracer();
    t.enabled = true;
    t.clock = () => 1234;
    t.cpu = () => 3;
    t.emit("set_migration_pte", { addr: 0x7f0000000000, pte: 0x1000, order: 0 });
    expect(t.events).toEqual([
      {
        ts: 1234,
        cpu: 3,
        name: "set_migration_pte",
        fields: { addr: 0x7f0000000000, pte: 0x1000, order: 0 },
      },
    ]);
  });
});
