/**
 * `pagemig calibrate`'s engine: which of a profile's physical parameters a set of measured
 * cells constrains, and their values that best predict the cells (least squares on the
 * relative error, bounded to a factor MAX_FACTOR of the start, Levenberg-Marquardt in log
 * space). A parameter is left as it was when the cells hardly move it (its largest elasticity
 * is below MIN_ELASTICITY), or when what it does to the cells another parameter preferred
 * before it already does (its elasticities are nearly a combination of theirs), or when the
 * fit leaves it loose (its standard error above MAX_REL_ERROR; the others are fitted again).
 */
import type { LoadedProfile } from "../machine/loaded-profile.js";
import { runMovePagesBench } from "../workload/move-pages-bench.js";
import type { FitCell } from "./fit-cells.js";
import { candidates, type FitParameter, readParam, withParams } from "./fit-params.js";

/** Below this a parameter is not constrained: 1% of it moves no cell by 0.05%. */
export const MIN_ELASTICITY = 0.05;
/** A parameter whose elasticities keep less than this share outside the span of those before it is not separable from them. */
const MIN_INDEPENDENCE = 0.25;
/** Fitted values stay within [start / MAX_FACTOR, start * MAX_FACTOR]. */
export const MAX_FACTOR = 4;
const STEP = 0.02;
/** The largest change of one parameter in one iteration: 10%. */
const MAX_STEP = 0.1;
const MAX_ITERATIONS = 20;
/**
 * A fitted parameter whose standard error exceeds this is left as it was: T3's DMA
 * per-IOMMU-page cost fitted beside the 2M column comes out ±29%, pulled by the mTHP cells
 * the model misses; T1's per-folio and per-PTE costs come out ±15% and right.
 */
const MAX_REL_ERROR = 0.2;

export interface FitOptions {
  /** Each cell is simulated on at most this many bytes (its folio count scaled down). */
  maxRegionBytes: number;
}

export interface FittedValue {
  param: FitParameter;
  start: number;
  value: number;
  /** One standard error, relative, from the residuals and the last Jacobian; null with as many parameters as cells. */
  relError: number | null;
}

export interface LeftValue {
  param: FitParameter;
  value: number;
  why: string;
}

export interface CellFit {
  cell: FitCell;
  before: number;
  after: number;
}

export interface FitOutcome {
  fitted: FittedValue[];
  left: LeftValue[];
  cells: CellFit[];
  /** Root mean square of the cells' relative errors. */
  rmsBefore: number;
  rmsAfter: number;
  profile: LoadedProfile;
}

/** The model's throughput for every cell on `profile`, GB/s. */
export async function predictCells(
  profile: LoadedProfile,
  cells: readonly FitCell[],
  o: FitOptions,
): Promise<number[]> {
  const out: number[] = [];
  for (const c of cells) {
    const count = Math.max(
      1,
      Math.min(c.folioCount, Math.floor(o.maxRegionBytes / c.folioSizeBytes)),
    );
    const r = await runMovePagesBench({
      profile,
      migrator: c.migrator,
      workers: c.workers,
      folioSizeBytes: c.folioSizeBytes,
      folioCount: count,
      batchPages: c.batchPages,
      cpuLoad: c.cpuLoad,
      fromNode: c.fromNode,
      toNode: c.toNode,
      runs: 1,
      seed: 1,
      verify: false,
    });
    out.push(r.throughputGBps.mean);
  }
  return out;
}

/** Significant digits the fitted values are written with. */
const DIGITS = 4;
const round = (x: number) => Number(x.toPrecision(DIGITS));

export async function fitProfile(
  start: LoadedProfile,
  cells: readonly FitCell[],
  o: FitOptions,
): Promise<FitOutcome> {
  const measured = cells.map((c) => c.measured);
  const engines = new Set(cells.map((c) => c.migrator));
  const all = candidates(start, engines);
  const x0 = all.map((p) => readParam(start, p) as number);
  const predict = async (params: FitParameter[], values: number[]) => {
    const profile = withParams(start, params, values);
    return profile === null ? null : predictCells(profile, cells, o);
  };
  const before = await predictCells(start, cells, o);

  // Elasticities at the start: d log(prediction) / d log(parameter).
  const columns: number[][] = [];
  for (const [j, p] of all.entries()) {
    const up = await predict([p], [x0[j] * Math.exp(STEP)]);
    columns.push(
      up === null ? before.map(() => 0) : up.map((v, i) => Math.log(v / before[i]) / STEP),
    );
  }
  let chosen: number[] = [];
  const left: LeftValue[] = [];
  const basis: number[][] = [];
  for (const [j, p] of all.entries()) {
    const col = columns[j];
    const largest = Math.max(...col.map(Math.abs));
    if (largest < MIN_ELASTICITY) {
      left.push({
        param: p,
        value: x0[j],
        why: `the data move it too little (at most ${(largest * 100).toFixed(1)}% per 100%)`,
      });
      continue;
    }
    const rest = orthogonalRest(col, basis);
    if (norm(rest) < MIN_INDEPENDENCE * norm(col) || chosen.length >= cells.length) {
      const others = chosen.map((c) => all[c].id).join(", ");
      left.push({ param: p, value: x0[j], why: `not separable from ${others} in these data` });
      continue;
    }
    basis.push(rest.map((v) => v / norm(rest)));
    chosen.push(j);
  }

  const fitFromStart = (picked: number[]) =>
    levenbergMarquardt(
      picked.map((j) => all[j]),
      picked.map((j) => x0[j]),
      before,
      picked.map((j) => columns[j]),
      measured,
      predict,
    );
  let fit = await fitFromStart(chosen);
  // A loose parameter follows the residuals of the cells the model misses, not the cells it
  // explains: it is put back and the rest fitted again without it.
  const loose = chosen.filter((_, k) => (fit.errors?.[k] ?? 0) > MAX_REL_ERROR);
  if (loose.length > 0) {
    for (const j of loose) {
      const k = chosen.indexOf(j);
      const e = ((fit.errors?.[k] ?? 0) * 100).toFixed(0);
      left.push({
        param: all[j],
        value: x0[j],
        why: `the data fix it only to ±${e}% (fitted with the others it went to ${fit.values[k]})`,
      });
    }
    chosen = chosen.filter((j) => !loose.includes(j));
    fit = await fitFromStart(chosen);
  }
  const params = chosen.map((j) => all[j]);
  const { values, errors } = fit;
  const profile = withParams(start, params, values) ?? start;
  const after = await predictCells(profile, cells, o);
  const rms = (p: number[]) => Math.sqrt(squaredError(p, measured) / p.length);
  return {
    fitted: params.map((param, k) => ({
      param,
      start: x0[chosen[k]],
      value: values[k],
      relError: errors?.[k] ?? null,
    })),
    left,
    cells: cells.map((cell, i) => ({ cell, before: before[i], after: after[i] })),
    rmsBefore: rms(before),
    rmsAfter: rms(after),
    profile,
  };
}

/** Sum of the squared relative errors of `pred` against `measured`. */
function squaredError(pred: number[], measured: number[]): number {
  return pred.reduce((s, v, i) => s + (v / measured[i] - 1) ** 2, 0);
}

interface LmResult {
  values: number[];
  errors: number[] | null;
}

/** Bounded Levenberg-Marquardt in log space from `start`, whose predictions are `pred0` and elasticities `jac0`. */
async function levenbergMarquardt(
  params: FitParameter[],
  start: number[],
  pred0: number[],
  jac0: number[][],
  measured: number[],
  predict: (params: FitParameter[], values: number[]) => Promise<number[] | null>,
): Promise<LmResult> {
  const lo = start.map((v) => Math.log(v / MAX_FACTOR));
  const hi = start.map((v) => Math.log(v * MAX_FACTOR));
  let x = start.map(Math.log);
  let pred = pred0;
  let jac = jac0;
  const residual = (p: number[]) => p.map((v, i) => v / measured[i] - 1);
  const cost = (p: number[]) => squaredError(p, measured);
  let lambda = 1e-3;
  for (let it = 0; it < MAX_ITERATIONS && params.length > 0; it++) {
    const r = residual(pred);
    // d r_i / d x_j = (pred_i / measured_i) * elasticity_ij
    const J = pred.map((v, i) => jac.map((col) => (v / measured[i]) * col[i]));
    const step = trustRegion(lmStep(J, r, lambda));
    const xNew = x.map((v, k) => Math.min(hi[k], Math.max(lo[k], v + step[k])));
    const pNew = await predict(params, xNew.map(Math.exp));
    if (pNew !== null && cost(pNew) < cost(pred)) {
      const moved = Math.max(...xNew.map((v, k) => Math.abs(v - x[k])));
      const gain = cost(pred) - cost(pNew);
      x = xNew;
      pred = pNew;
      lambda /= 10;
      if (moved < 1e-4 || gain < 1e-12) break;
      jac = [];
      for (let k = 0; k < params.length; k++) {
        const xs = x.map((v, m) => Math.exp(m === k ? v + STEP : v));
        const up = await predict(params, xs);
        jac.push(up === null ? pred.map(() => 0) : up.map((v, i) => Math.log(v / pred[i]) / STEP));
      }
    } else {
      lambda *= 10;
      if (lambda > 1e8) break;
    }
  }
  return {
    values: x.map((v) => round(Math.exp(v))),
    errors: standardErrors(
      pred.map((v, i) => jac.map((col) => (v / measured[i]) * col[i])),
      cost(pred),
    ),
  };
}

/**
 * A step scaled so no parameter changes by more than MAX_STEP (in log): the model is
 * piecewise smooth (a copy runs at the slower of the core and the links it crosses), and a
 * long step past such a kink lands where the parameter no longer shows in the data.
 */
function trustRegion(step: number[]): number[] {
  const largest = Math.max(...step.map(Math.abs));
  return largest <= MAX_STEP ? step : step.map((v) => (v * MAX_STEP) / largest);
}

const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
const norm = (a: number[]) => Math.sqrt(dot(a, a));

/** `col` less its projection on the orthonormal `basis`. */
function orthogonalRest(col: number[], basis: number[][]): number[] {
  let rest = [...col];
  for (const b of basis) {
    const d = dot(rest, b);
    rest = rest.map((v, i) => v - d * b[i]);
  }
  return rest;
}

/**
 * Standard errors of the log-parameters (so relative errors of the parameters): the diagonal
 * of σ² (JᵀJ)⁻¹ with σ² the residual cost over the degrees of freedom; null when none are left.
 */
function standardErrors(J: number[][], cost: number): number[] | null {
  const n = J[0]?.length ?? 0;
  const dof = J.length - n;
  if (n === 0 || dof <= 0) return null;
  const sigma2 = cost / dof;
  return Array.from({ length: n }, (_, k) => {
    const unit = Array.from({ length: n }, (_, m) => (m === k ? 1 : 0));
    const A = Array.from({ length: n }, (_, a) =>
      Array.from({ length: n }, (_, b) => J.reduce((s, row) => s + row[a] * row[b], 0)),
    );
    return Math.sqrt(sigma2 * solve(A, unit)[k]);
  });
}

/** Solves (JᵀJ + λ diag(JᵀJ)) δ = -Jᵀr. */
function lmStep(J: number[][], r: number[], lambda: number): number[] {
  const n = J[0].length;
  const A = Array.from({ length: n }, (_, a) =>
    Array.from({ length: n }, (_, b) => J.reduce((s, row) => s + row[a] * row[b], 0)),
  );
  const g = Array.from({ length: n }, (_, a) => -J.reduce((s, row, i) => s + row[a] * r[i], 0));
  for (let a = 0; a < n; a++) A[a][a] *= 1 + lambda;
  return solve(A, g);
}

/** Gaussian elimination with partial pivoting. */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let i = c + 1; i < n; i++) if (Math.abs(M[i][c]) > Math.abs(M[p][c])) p = i;
    [M[c], M[p]] = [M[p], M[c]];
    for (let i = c + 1; i < n; i++) {
      const f = M[i][c] / M[c][c];
      for (let k = c; k <= n; k++) M[i][k] -= f * M[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = M[i][n];
    for (let k = i + 1; k < n; k++) s -= M[i][k] * x[k];
    x[i] = s / M[i][i];
  }
  return x;
}
