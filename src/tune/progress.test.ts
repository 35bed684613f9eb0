import { describe, expect, it } from "vitest";
import { progressBar } from "./progress.js";

function stream(isTTY: boolean) {
  let text = "";
  return {
    isTTY,
    write: (s: string) => {
      text += s;
    },
    text: () => text,
  };
}

describe("progressBar", () => {
  it("draws nothing when the stream is not a terminal", () => {
    expect(progressBar(stream(false), "x")).toBeNull();
  });

  it("redraws one line in place and erases it at the end", () => {
    const s = stream(true);
    const bar = progressBar(s, "simulating");
    bar?.update(1, 4);
    bar?.update(4, 4);
    bar?.end();
    expect(s.text()).toBe(
      `\rsimulating [########......................] 1/4\rsimulating [${"#".repeat(30)}] 4/4\r\x1b[2K`,
    );
  });
});
