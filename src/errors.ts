/**
 * The two failures the program reports on purpose. Anything else that escapes to the CLI is a
 * bug and is reported as an internal error.
 */

/** Bad input (flags, profiles, scenarios): the CLI prints `pagemig: <message>` and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A run that failed or found a violated invariant: the CLI prints the message and exits 1. */
export class RunFailure extends Error {
  override name = "RunFailure";
}
