/**
 * A move_pages(2) call made by a user without CAP_SYS_NICE. Root cannot shed a capability in
 * its own process for one call, so the call runs in a child node process started as `nobody`
 * (uid and gid 65534): it maps and writes one page and calls move_pages on it. The child
 * binds libc through koffi itself, from the same package, in the few lines below.
 */
import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { koffiEntry } from "./libc.js";

export const NOBODY = 65534;

export interface ChildCall {
  /** The syscall number of move_pages on this architecture. */
  nr: number;
  flags: number;
  /** null: query mode; otherwise the node to move the page to. */
  node: number | null;
}

const CHILD = `
const [url, nr, flags, node] = JSON.parse(process.argv[1]);
const koffi = (await import(url)).default;
const lib = koffi.load("libc.so.6");
const mmap = lib.func("intptr_t mmap(uintptr_t, size_t, int, int, int, intptr_t)");
const memset = lib.func("uintptr_t memset(uintptr_t, int, size_t)");
const syscall = lib.func("long syscall(long nr, ...)");
const p = Number(mmap(0, 4096, 3, 0x22, -1, 0));
memset(p, 1, 4096);
const status = new Int32Array([0x5eed]);
const nodes = node === null ? null : new Int32Array([node]);
const rc = Number(syscall(nr, "int", 0, "unsigned long", 1, "void *", new BigUint64Array([BigInt(p)]), "void *", nodes, "void *", status, "int", flags));
// errno first: the first use of process.stdout sets it (isatty on a pipe).
const result = { rc: rc === -1 ? -koffi.errno() : rc, status: [...status] };
process.stdout.write(JSON.stringify(result));
`;

/**
 * Why `nobody` cannot load koffi from where this process has it, or null when it can: every
 * directory above koffi's entry must let nobody through and the entry must be readable (a
 * checkout under a `mktemp -d` folder, mode 0700, is closed to other users).
 */
export function nobodyCannotLoadKoffi(): string | null {
  const entry = koffiEntry();
  const allowed = (path: string, bit: number): boolean => {
    const st = statSync(path);
    if (st.uid === NOBODY) return (st.mode & (bit << 6)) !== 0;
    if (st.gid === NOBODY) return (st.mode & (bit << 3)) !== 0;
    return (st.mode & bit) !== 0;
  };
  if (!allowed(entry, 0o4)) return `nobody cannot read ${entry}`;
  for (let dir = dirname(entry); ; dir = dirname(dir)) {
    if (!allowed(dir, 0o1)) return `nobody cannot enter ${dir}, above koffi (${entry})`;
    if (dirname(dir) === dir) return null;
  }
}

/** Runs the call as nobody; returns its result, or throws if the child could not run. */
export function callAsNobody(c: ChildCall): { rc: number; status: number[] } {
  const arg = JSON.stringify([pathToFileURL(koffiEntry()).href, c.nr, c.flags, c.node]);
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", CHILD, arg], {
    uid: NOBODY,
    gid: NOBODY,
    encoding: "utf8",
    timeout: 20_000,
  });
  return JSON.parse(out) as { rc: number; status: number[] };
}
