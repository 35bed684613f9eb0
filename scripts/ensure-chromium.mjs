// `npm test` hook: the HTML report's browser test renders in Debian's Chromium (never a
// downloaded browser). On a fresh Debian machine it is not installed yet, so install it here,
// once, as the README's quick start promises `npm test` works after cloning.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

const CHROMIUM = "/usr/bin/chromium";

if (!existsSync(CHROMIUM)) {
  const root = process.getuid?.() === 0;
  const apt = (...args) =>
    execFileSync(root ? "apt-get" : "sudo", root ? args : ["apt-get", ...args], {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  process.stderr.write(
    "pretest: installing Debian's chromium for the HTML report's browser test\n",
  );
  try {
    apt("update", "-qq");
    apt("install", "-y", "-qq", "chromium");
  } catch {
    process.stderr.write(
      `pretest: could not install chromium; install Debian's package (apt-get install chromium) so that ${CHROMIUM} exists\n`,
    );
    process.exit(1);
  }
}
