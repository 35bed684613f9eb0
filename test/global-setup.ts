/**
 * Builds dist/ once before the tests: worker threads that run whole simulations (the tuner's)
 * load compiled JavaScript, as they do for users, so `npm test` works on a fresh clone.
 * Type errors do not stop the emit and are `npm run typecheck`'s to report, so the exit
 * status of tsc is not checked here.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const root = fileURLToPath(new URL("..", import.meta.url));
  spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], {
    cwd: root,
    stdio: "ignore",
  });
}
