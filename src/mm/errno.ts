/** Linux errno values (asm-generic/errno-base.h and errno.h); kernel paths return them negated. */
export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const EIO = 5;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const EBUSY = 16;
export const ENODEV = 19;
export const EINVAL = 22;
export const EOPNOTSUPP = 95;
export const ETIMEDOUT = 110;
export const EHWPOISON = 133;

const NAMES: Record<number, string> = {
  [EPERM]: "EPERM",
  [ENOENT]: "ENOENT",
  [ESRCH]: "ESRCH",
  [EINTR]: "EINTR",
  [EIO]: "EIO",
  [EAGAIN]: "EAGAIN",
  [ENOMEM]: "ENOMEM",
  [EACCES]: "EACCES",
  [EFAULT]: "EFAULT",
  [EBUSY]: "EBUSY",
  [ENODEV]: "ENODEV",
  [EINVAL]: "EINVAL",
  [EOPNOTSUPP]: "EOPNOTSUPP",
  [ETIMEDOUT]: "ETIMEDOUT",
  [EHWPOISON]: "EHWPOISON",
};

/** "ENOENT" for 2 or -2; the number itself for an unknown value. */
export function errnoName(err: number): string {
  return NAMES[Math.abs(err)] ?? String(err);
}
