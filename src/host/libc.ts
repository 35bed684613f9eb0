/**
 * The running kernel's system calls that `pagemig host` needs, through koffi (an FFI with its
 * prebuilt binary shipped in its npm package): anonymous mmap/munmap, madvise, mbind(2) and
 * move_pages(2), and reading and writing user memory. koffi is loaded on first use, so no
 * other command pays for it and a platform without it gets one line, not a crash.
 */
import { createRequire } from "node:module";
import { UsageError } from "../errors.js";

/** A system call's outcome as the model reports it: the return value, or -errno on failure. */
export type SyscallResult = number;

export interface MovePagesCall {
  pid: number;
  count: number;
  /** null: a NULL pointer (the kernel faults reading it if count > 0). */
  pages: readonly number[] | null;
  /** null: query mode. */
  nodes: readonly number[] | null;
  /** null: a NULL status array. */
  status: Int32Array | null;
  flags: number;
}

export interface Libc {
  /** mmap(NULL, len, PROT_READ|PROT_WRITE (or PROT_READ), MAP_PRIVATE|MAP_ANONYMOUS). */
  mmapAnon(len: number, readOnly?: boolean): number;
  munmap(addr: number, len: number): void;
  madvise(addr: number, len: number, advice: number): SyscallResult;
  /** mbind(addr, len, mode, {nodes}, maxnode, flags). */
  mbind(addr: number, len: number, mode: number, nodes: readonly number[]): SyscallResult;
  movePages(call: MovePagesCall): SyscallResult;
  /** Write `value` into every byte of [addr, addr+len): faults every page in for writing. */
  fill(addr: number, len: number, value: number): void;
  /** Read one byte: a read fault where nothing is mapped. */
  readByte(addr: number): number;
}

export const MADV_HUGEPAGE = 14;
export const MADV_NOHUGEPAGE = 15;
export const MPOL_BIND = 2;
/** mbind(2): move pages already faulted in that do not follow the policy. */
export const MPOL_MF_MOVE = 1 << 1;

/** Syscall numbers of the architectures pagemig's host commands run on. */
const SYSCALLS: Record<string, { mbind: number; movePages: number }> = {
  x64: { mbind: 237, movePages: 279 },
  arm64: { mbind: 235, movePages: 239 },
};

/** move_pages(2)'s number here (for a child process that calls it itself). */
export function movePagesNr(): number {
  const n = SYSCALLS[process.arch];
  if (n === undefined) throw new UsageError(`host: no move_pages number known for ${process.arch}`);
  return n.movePages;
}

/** The node bitmask mbind(2) takes: 64 nodes per word, maxnode bits. */
const NODEMASK_WORDS = 16;

let loaded: Libc | null = null;

/** libc through koffi; UsageError (one line, exit 2) where it cannot be had. */
export async function loadLibc(): Promise<Libc> {
  if (loaded !== null) return loaded;
  if (process.platform !== "linux") {
    throw new UsageError(`host: needs Linux (this is ${process.platform})`);
  }
  const numbers = SYSCALLS[process.arch];
  if (numbers === undefined) {
    throw new UsageError(`host: system call numbers known for x64 and arm64, not ${process.arch}`);
  }
  let koffi: typeof import("koffi")["default"];
  try {
    koffi = (await import("koffi")).default;
  } catch (err) {
    throw new UsageError(`host: the koffi FFI does not load here: ${(err as Error).message}`);
  }
  const lib = koffi.load("libc.so.6");
  const mmap = lib.func(
    "intptr_t mmap(uintptr_t addr, size_t len, int prot, int flags, int fd, intptr_t off)",
  );
  const munmap = lib.func("int munmap(uintptr_t addr, size_t len)");
  const madvise = lib.func("int madvise(uintptr_t addr, size_t len, int advice)");
  const memset = lib.func("uintptr_t memset(uintptr_t s, int c, size_t n)");
  const syscall = lib.func("long syscall(long nr, ...)");
  const result = (rc: number | bigint): SyscallResult => {
    const n = Number(rc);
    return n === -1 ? -koffi.errno() : n;
  };
  const addresses = (xs: readonly number[] | null) =>
    xs === null ? null : BigUint64Array.from(xs, (x) => BigInt(x));
  loaded = {
    mmapAnon(len, readOnly = false) {
      const PROT_READ = 1;
      const PROT_WRITE = 2;
      const MAP_PRIVATE_ANONYMOUS = 0x22;
      const prot = readOnly ? PROT_READ : PROT_READ | PROT_WRITE;
      const addr = Number(mmap(0, len, prot, MAP_PRIVATE_ANONYMOUS, -1, 0));
      if (addr === -1)
        throw new UsageError(`host: mmap of ${len} bytes failed (errno ${koffi.errno()})`);
      return addr;
    },
    munmap(addr, len) {
      munmap(addr, len);
    },
    madvise: (addr, len, advice) => result(madvise(addr, len, advice)),
    mbind(addr, len, mode, nodes) {
      const mask = new BigUint64Array(NODEMASK_WORDS);
      for (const n of nodes) mask[n >> 6] |= 1n << BigInt(n & 63);
      const maxnode = NODEMASK_WORDS * 64;
      return result(
        syscall(
          numbers.mbind,
          "uintptr_t",
          addr,
          "unsigned long",
          len,
          "int",
          mode,
          "void *",
          mask,
          "unsigned long",
          maxnode,
          "unsigned int",
          0,
        ),
      );
    },
    movePages: (c) =>
      result(
        syscall(
          numbers.movePages,
          "int",
          c.pid,
          "unsigned long",
          c.count,
          "void *",
          addresses(c.pages),
          "void *",
          c.nodes === null ? null : Int32Array.from(c.nodes),
          "void *",
          c.status,
          "int",
          c.flags,
        ),
      ),
    fill(addr, len, value) {
      memset(addr, value, len);
    },
    readByte: (addr) => koffi.decode(addr, "uint8") as number,
  };
  return loaded;
}

/** Where koffi's entry module is, for a child process that binds it on its own. */
export function koffiEntry(): string {
  return createRequire(import.meta.url).resolve("koffi");
}
