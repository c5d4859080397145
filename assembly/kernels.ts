// WebAssembly SIMD dense-layer kernels (AssemblyScript). Compiled by `npm run build:wasm` into
// src/nn/wasm-binary.ts; the TypeScript reference they must equal is src/nn/kernels.ts.
//
// Every pointer is a byte offset into the (imported, shared) linear memory; every array is float32 and
// row-major. The JavaScript side (src/nn/wasm-kernels.ts) owns allocation: this module has no static data, no
// allocator and no runtime, so several instances can share one memory.
//
// Activation codes: 0 identity, 1 tanh, 2 relu, 3 elu, 4 gelu.

const ACT_TANH: i32 = 1;
const ACT_RELU: i32 = 2;
const ACT_ELU: i32 = 3;
const ACT_GELU: i32 = 4;

// ---------------------------------------------------------------------------------------------------------------
// Matrix products. C[M×N] (+)= A·B with B row-major [K×N] and A's element (m, k) at A + 4·(m·sam + k·sak), so one
// routine serves A (sam = K, sak = 1) and Aᵀ (sam = 1, sak = M). Register-blocked: 4 rows × 8 columns of C live
// in eight 128-bit accumulators while k runs; each step loads two vectors of B and broadcasts four scalars of A
// (load32_splat: one instruction). Measured here: 6×8 blocks spill registers and run ~15% slower.
// ---------------------------------------------------------------------------------------------------------------

@inline function aAt(A: usize, sam: i32, sak: i32, m: i32, k: i32): f32 {
  return load<f32>(A + (<usize>(m * sam + k * sak) << 2));
}

function gemmBlock4x8(A: usize, sam: i32, sak: i32, B: usize, C: usize, m: i32, n: i32, K: i32, N: i32, acc: bool): void {
  const c0 = C + (<usize>(m * N + n) << 2);
  const c1 = c0 + (<usize>N << 2);
  const c2 = c1 + (<usize>N << 2);
  const c3 = c2 + (<usize>N << 2);
  let s00 = f32x4.splat(0), s01 = f32x4.splat(0);
  let s10 = f32x4.splat(0), s11 = f32x4.splat(0);
  let s20 = f32x4.splat(0), s21 = f32x4.splat(0);
  let s30 = f32x4.splat(0), s31 = f32x4.splat(0);
  if (acc) {
    s00 = v128.load(c0); s01 = v128.load(c0, 16);
    s10 = v128.load(c1); s11 = v128.load(c1, 16);
    s20 = v128.load(c2); s21 = v128.load(c2, 16);
    s30 = v128.load(c3); s31 = v128.load(c3, 16);
  }
  let b = B + (<usize>n << 2);
  const bStride = <usize>N << 2;
  let a0 = A + (<usize>(m * sam) << 2);
  const aRow = <usize>sam << 2;
  const aStep = <usize>sak << 2;
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load32_splat(a0);
    s00 = f32x4.add(s00, f32x4.mul(x, b0)); s01 = f32x4.add(s01, f32x4.mul(x, b1));
    x = v128.load32_splat(a0 + aRow);
    s10 = f32x4.add(s10, f32x4.mul(x, b0)); s11 = f32x4.add(s11, f32x4.mul(x, b1));
    x = v128.load32_splat(a0 + 2 * aRow);
    s20 = f32x4.add(s20, f32x4.mul(x, b0)); s21 = f32x4.add(s21, f32x4.mul(x, b1));
    x = v128.load32_splat(a0 + 3 * aRow);
    s30 = f32x4.add(s30, f32x4.mul(x, b0)); s31 = f32x4.add(s31, f32x4.mul(x, b1));
    b += bStride;
    a0 += aStep;
  }
  v128.store(c0, s00); v128.store(c0, s01, 16);
  v128.store(c1, s10); v128.store(c1, s11, 16);
  v128.store(c2, s20); v128.store(c2, s21, 16);
  v128.store(c3, s30); v128.store(c3, s31, 16);
}

function gemmBlock4x4(A: usize, sam: i32, sak: i32, B: usize, C: usize, m: i32, n: i32, K: i32, N: i32, acc: bool): void {
  const c0 = C + (<usize>(m * N + n) << 2);
  const c1 = c0 + (<usize>N << 2);
  const c2 = c1 + (<usize>N << 2);
  const c3 = c2 + (<usize>N << 2);
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  if (acc) {
    s0 = v128.load(c0); s1 = v128.load(c1); s2 = v128.load(c2); s3 = v128.load(c3);
  }
  let b = B + (<usize>n << 2);
  const bStride = <usize>N << 2;
  let a0 = A + (<usize>(m * sam) << 2);
  const aRow = <usize>sam << 2;
  const aStep = <usize>sak << 2;
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(b);
    s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(a0), b0));
    s1 = f32x4.add(s1, f32x4.mul(v128.load32_splat(a0 + aRow), b0));
    s2 = f32x4.add(s2, f32x4.mul(v128.load32_splat(a0 + 2 * aRow), b0));
    s3 = f32x4.add(s3, f32x4.mul(v128.load32_splat(a0 + 3 * aRow), b0));
    b += bStride;
    a0 += aStep;
  }
  v128.store(c0, s0); v128.store(c1, s1); v128.store(c2, s2); v128.store(c3, s3);
}

/** One row of C, columns [n, n + 8). */
function gemmBlock1x8(A: usize, sam: i32, sak: i32, B: usize, C: usize, m: i32, n: i32, K: i32, N: i32, acc: bool): void {
  const c = C + (<usize>(m * N + n) << 2);
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
  if (acc) {
    s0 = v128.load(c); s1 = v128.load(c, 16);
  }
  let b = B + (<usize>n << 2);
  const bStride = <usize>N << 2;
  for (let k = 0; k < K; k++) {
    const x = f32x4.splat(aAt(A, sam, sak, m, k));
    s0 = f32x4.add(s0, f32x4.mul(x, v128.load(b)));
    s1 = f32x4.add(s1, f32x4.mul(x, v128.load(b, 16)));
    b += bStride;
  }
  v128.store(c, s0); v128.store(c, s1, 16);
}

function gemmBlock1x4(A: usize, sam: i32, sak: i32, B: usize, C: usize, m: i32, n: i32, K: i32, N: i32, acc: bool): void {
  const c = C + (<usize>(m * N + n) << 2);
  let s0 = acc ? v128.load(c) : f32x4.splat(0);
  let b = B + (<usize>n << 2);
  const bStride = <usize>N << 2;
  for (let k = 0; k < K; k++) {
    s0 = f32x4.add(s0, f32x4.mul(f32x4.splat(aAt(A, sam, sak, m, k)), v128.load(b)));
    b += bStride;
  }
  v128.store(c, s0);
}

function gemmScalar(A: usize, sam: i32, sak: i32, B: usize, C: usize, m: i32, n: i32, K: i32, N: i32, acc: bool): void {
  const c = C + (<usize>(m * N + n) << 2);
  let s: f32 = acc ? load<f32>(c) : 0;
  for (let k = 0; k < K; k++) s += aAt(A, sam, sak, m, k) * load<f32>(B + (<usize>(k * N + n) << 2));
  store<f32>(c, s);
}

export function gemm(A: usize, sam: i32, sak: i32, B: usize, C: usize, M: i32, K: i32, N: i32, acc: bool): void {
  const n8 = N & ~7;
  const n4 = N & ~3;
  let m = 0;
  for (; m + 4 <= M; m += 4) {
    let n = 0;
    for (; n < n8; n += 8) gemmBlock4x8(A, sam, sak, B, C, m, n, K, N, acc);
    for (; n < n4; n += 4) gemmBlock4x4(A, sam, sak, B, C, m, n, K, N, acc);
    for (; n < N; n++) {
      for (let r = 0; r < 4; r++) gemmScalar(A, sam, sak, B, C, m + r, n, K, N, acc);
    }
  }
  for (; m < M; m++) {
    let n = 0;
    for (; n < n8; n += 8) gemmBlock1x8(A, sam, sak, B, C, m, n, K, N, acc);
    for (; n < n4; n += 4) gemmBlock1x4(A, sam, sak, B, C, m, n, K, N, acc);
    for (; n < N; n++) gemmScalar(A, sam, sak, B, C, m, n, K, N, acc);
  }
}

/** C[m, n] (+)= Σ_k A[m, k]·B[n, k] for narrow outputs (N < 4), vectorised along k. */
function gemmDot(A: usize, B: usize, C: usize, M: i32, K: i32, N: i32, acc: bool): void {
  const k4 = K & ~3;
  for (let m = 0; m < M; m++) {
    const a = A + (<usize>(m * K) << 2);
    for (let n = 0; n < N; n++) {
      const b = B + (<usize>(n * K) << 2);
      let s = f32x4.splat(0);
      let k = 0;
      for (; k < k4; k += 4) {
        const o = <usize>k << 2;
        s = f32x4.add(s, f32x4.mul(v128.load(a + o), v128.load(b + o)));
      }
      let t: f32 =
        f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + (f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3));
      for (; k < K; k++) t += load<f32>(a + (<usize>k << 2)) * load<f32>(b + (<usize>k << 2));
      const c = C + (<usize>(m * N + n) << 2);
      store<f32>(c, acc ? load<f32>(c) + t : t);
    }
  }
}

/** Dst[c, r] = Src[r, c] for Src [rows × cols]: 4×4 blocks transposed in registers, the edges element by element. */
function transpose(src: usize, dst: usize, rows: i32, cols: i32): void {
  const r4 = rows & ~3;
  const c4 = cols & ~3;
  const srcRow = <usize>cols << 2;
  const dstRow = <usize>rows << 2;
  for (let r = 0; r < r4; r += 4) {
    let s = src + (<usize>(r * cols) << 2);
    let d = dst + (<usize>r << 2);
    for (let c = 0; c < c4; c += 4) {
      const a = v128.load(s);
      const b = v128.load(s + srcRow);
      const e = v128.load(s + 2 * srcRow);
      const f = v128.load(s + 3 * srcRow);
      const ab01 = v128.shuffle<f32>(a, b, 0, 4, 1, 5);
      const ab23 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
      const ef01 = v128.shuffle<f32>(e, f, 0, 4, 1, 5);
      const ef23 = v128.shuffle<f32>(e, f, 2, 6, 3, 7);
      v128.store(d, v128.shuffle<f32>(ab01, ef01, 0, 1, 4, 5));
      v128.store(d + dstRow, v128.shuffle<f32>(ab01, ef01, 2, 3, 6, 7));
      v128.store(d + 2 * dstRow, v128.shuffle<f32>(ab23, ef23, 0, 1, 4, 5));
      v128.store(d + 3 * dstRow, v128.shuffle<f32>(ab23, ef23, 2, 3, 6, 7));
      s += 16;
      d += 4 * dstRow;
    }
  }
  for (let r = 0; r < rows; r++) {
    const s = src + (<usize>(r * cols) << 2);
    for (let c = r < r4 ? c4 : 0; c < cols; c++) {
      store<f32>(dst + (<usize>(c * rows + r) << 2), load<f32>(s + (<usize>c << 2)));
    }
  }
}

/**
 * C[M×N] (+)= A[M×K]·Wᵀ for W [N×K]: the layer product, through a transposed copy of W at `scratch` — or, for
 * small batches (the rollout's acting), as Cᵀ (+)= W·Aᵀ, transposing A and C instead of W when those are the
 * smaller copies. Either way each C[m, n] is its start value plus A[m, k]·W[n, k] for k = 0, 1, … added one at a
 * time, so both forms give the same bits. M must be a multiple of 4 for the second (else gemm's columns would go
 * one at a time). `scratch` holds max(K, N)² floats, which covers both forms' copies.
 */
function productWithTranspose(A: usize, W: usize, C: usize, scratch: usize, M: i32, K: i32, N: i32, acc: bool): void {
  if (N < 4) {
    gemmDot(A, W, C, M, K, N, acc);
  } else if ((M & 3) == 0 && M * K + (acc ? 2 : 1) * M * N < N * K) {
    const At = scratch;
    const Ct = scratch + (<usize>(M * K) << 2);
    transpose(A, At, M, K);
    if (acc) transpose(C, Ct, M, N);
    gemm(W, K, 1, At, Ct, N, K, M, acc);
    transpose(Ct, C, N, M);
  } else {
    transpose(W, scratch, N, K);
    gemm(A, K, 1, scratch, C, M, K, N, acc);
  }
}

/** Each row of Y [rows × n] ← v [n]. */
function fillRows(Y: usize, v: usize, rows: i32, n: i32): void {
  const bytes = <usize>n << 2;
  for (let r = 0; r < rows; r++) memory.copy(Y + <usize>r * bytes, v, bytes);
}

// ---------------------------------------------------------------------------------------------------------------
// Activations, each applied by its own loop (chosen once per layer, never per element).
//
// Exponentials: e^y = 2ⁿ·eʳ with n = round(y/ln 2), r = y − n·ln 2 (|r| ≤ ln2/2, ln 2 split in two parts) and
// eʳ − 1 by its Taylor series through r⁷ (truncation < 5e-9 relative). n and 2ⁿ come from the 1.5·2²³ rounding
// trick: adding it leaves n in the low mantissa bits, and shifting those bits by 23 puts n in the exponent field
// (valid for n ≥ −126: callers clamp y). expm1(y) = 2ⁿ·(eʳ − 1) + (2ⁿ − 1) stays accurate for small |y|.
//
// tanh(x) = −sign(x)·m/(2 + m) with m = expm1(−2|x|), which stays accurate for small |x| without a second
// branch. |x| is clamped to 9, where tanh rounds to 1 in float32.
// Error: max |tanh4(x) − tanh(x)| measured 1.48e-7; test/wasm-kernels.test.ts holds it to 2e-7.
//
// elu(z) = z for z > 0, expm1(max(z, −20)) otherwise (α = 1; expm1(−20) rounds to −1 in float32).
//
// gelu(z) = z·Φ(z), the exact (erf) form, through the upper tail q = Φ(−|z|) = erfc(a)/2, a = |z|/√2:
// erfc(a) = t·e^(−a²)·P(t) with t = 1/(1 + 0.4a) and P a degree-8 polynomial least-squares fitted (float32
// coefficients) to erfc(a)·e^(a²)/t on a ∈ [0, 9]: relative error of P 5.8e-8, 1.6e-7 evaluated in float32.
// Then Φ(z) = 1 − q (z ≥ 0) or q (z < 0), so the lower tail keeps its relative accuracy; a is clamped to 9
// (erfc(9) ≈ 4e-37). gelu'(z) = Φ(z) + z·φ(z) with φ(z) = e^(−a²)/√(2π) from the same exponential.
// ---------------------------------------------------------------------------------------------------------------

const ROUNDING_SHIFT: f32 = 12582912.0; // 1.5·2²³

/** y/log₂e + 1.5·2²³: n = round(y/ln 2) sits in its low mantissa bits. */
@inline function shiftedExponent(y: v128): v128 {
  return f32x4.add(f32x4.mul(y, f32x4.splat(1.4426950408889634)), f32x4.splat(ROUNDING_SHIFT));
}

/** 2ⁿ for the n held by `shiftedExponent`. */
@inline function powerOfTwo(shifted: v128): v128 {
  return i32x4.add(i32x4.shl(shifted, 23), i32x4.splat(0x3f800000));
}

/** eʳ − 1 for r = y − n·ln 2, n from `shiftedExponent`. */
@inline function expm1Reduced(y: v128, shifted: v128): v128 {
  const n = f32x4.sub(shifted, f32x4.splat(ROUNDING_SHIFT));
  let r = f32x4.sub(y, f32x4.mul(n, f32x4.splat(0.693145751953125)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(1.428606765330187e-6)));
  let p = f32x4.add(f32x4.splat(1.0 / 720.0), f32x4.mul(r, f32x4.splat(1.0 / 5040.0)));
  p = f32x4.add(f32x4.splat(1.0 / 120.0), f32x4.mul(r, p));
  p = f32x4.add(f32x4.splat(1.0 / 24.0), f32x4.mul(r, p));
  p = f32x4.add(f32x4.splat(1.0 / 6.0), f32x4.mul(r, p));
  p = f32x4.add(f32x4.splat(0.5), f32x4.mul(r, p));
  p = f32x4.add(f32x4.splat(1.0), f32x4.mul(r, p));
  return f32x4.mul(r, p);
}

/** expm1(y) for −126·ln 2 ≤ y ≤ 0 (callers clamp). */
@inline function expm1Clamped4(y: v128): v128 {
  const shifted = shiftedExponent(y);
  const twoN = powerOfTwo(shifted);
  return f32x4.add(f32x4.mul(twoN, expm1Reduced(y, shifted)), f32x4.sub(twoN, f32x4.splat(1.0)));
}

/** e^y for −126·ln 2 ≤ y ≤ 0 (callers clamp): 2ⁿ·(eʳ − 1) + 2ⁿ, with no cancellation for very negative y. */
@inline function expClamped4(y: v128): v128 {
  const shifted = shiftedExponent(y);
  const twoN = powerOfTwo(shifted);
  return f32x4.add(f32x4.mul(twoN, expm1Reduced(y, shifted)), twoN);
}

@inline function tanh4(x: v128): v128 {
  const a = f32x4.min(f32x4.abs(x), f32x4.splat(9.0));
  const m = expm1Clamped4(f32x4.mul(a, f32x4.splat(-2.0)));
  const magnitude = f32x4.div(m, f32x4.sub(f32x4.splat(-2.0), m));
  return v128.or(magnitude, v128.and(x, i32x4.splat(0x80000000)));
}

@inline function elu4(z: v128): v128 {
  const negative = expm1Clamped4(f32x4.max(f32x4.min(z, f32x4.splat(0)), f32x4.splat(-20.0)));
  return v128.bitselect(z, negative, f32x4.gt(z, f32x4.splat(0)));
}

/** elu'(z) through y = elu(z): 1 for y > 0, y + 1 = e^z otherwise. */
@inline function eluDerivative4(y: v128): v128 {
  return v128.bitselect(f32x4.splat(1.0), f32x4.add(y, f32x4.splat(1.0)), f32x4.gt(y, f32x4.splat(0)));
}

/** e^(−a²) = e^(−z²/2) for a = min(|z|/√2, 9). */
@inline function gaussianFactor(z: v128): v128 {
  const zc = f32x4.min(f32x4.abs(z), f32x4.splat(12.727922061357855)); // 9·√2
  return expClamped4(f32x4.mul(f32x4.mul(zc, zc), f32x4.splat(-0.5)));
}

/** Φ(z) given e^(−a²) (a = |z|/√2 clamped to 9): 1 − q or q with q = Φ(−|z|) = t·e^(−a²)·P(t)/2. */
@inline function normalCdf4(z: v128, gaussian: v128): v128 {
  const a = f32x4.min(f32x4.mul(f32x4.abs(z), f32x4.splat(0.7071067811865476)), f32x4.splat(9.0));
  const t = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), f32x4.mul(a, f32x4.splat(0.4))));
  let p = f32x4.add(f32x4.splat(-0.13272956013679504), f32x4.mul(t, f32x4.splat(0.0397290401160717)));
  p = f32x4.add(f32x4.splat(0.06788788735866547), f32x4.mul(t, p));
  p = f32x4.add(f32x4.splat(0.10691707581281662), f32x4.mul(t, p));
  p = f32x4.add(f32x4.splat(0.06624799221754074), f32x4.mul(t, p));
  p = f32x4.add(f32x4.splat(0.19934648275375366), f32x4.mul(t, p));
  p = f32x4.add(f32x4.splat(0.20030753314495087), f32x4.mul(t, p));
  p = f32x4.add(f32x4.splat(0.22667346894741058), f32x4.mul(t, p));
  p = f32x4.add(f32x4.splat(0.22562013566493988), f32x4.mul(t, p));
  const q = f32x4.mul(f32x4.mul(f32x4.mul(t, gaussian), p), f32x4.splat(0.5));
  return v128.bitselect(q, f32x4.sub(f32x4.splat(1.0), q), f32x4.lt(z, f32x4.splat(0)));
}

@inline function gelu4(z: v128): v128 {
  return f32x4.mul(z, normalCdf4(z, gaussianFactor(z)));
}

/** gelu'(z) = Φ(z) + z·φ(z). */
@inline function geluDerivative4(z: v128): v128 {
  const gaussian = gaussianFactor(z);
  const density = f32x4.mul(gaussian, f32x4.splat(0.3989422804014327)); // 1/√(2π)
  return f32x4.add(normalCdf4(z, gaussian), f32x4.mul(z, density));
}

/** The first `lanes` (1–3) floats at p, the other lanes 0. */
@inline function loadPartial(p: usize, lanes: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (lanes > 1) v = f32x4.replace_lane(v, 1, load<f32>(p + 4));
  if (lanes > 2) v = f32x4.replace_lane(v, 2, load<f32>(p + 8));
  return v;
}

/** Stores the first `lanes` (1–3) lanes of v at p. */
@inline function storePartial(p: usize, v: v128, lanes: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (lanes > 1) store<f32>(p + 4, f32x4.extract_lane(v, 1));
  if (lanes > 2) store<f32>(p + 8, f32x4.extract_lane(v, 2));
}

export function tanhArray(src: usize, dst: usize, n: i32): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, tanh4(v128.load(src + o)));
  }
  if (i < n) {
    // The tail goes through the same vector code so every element gets the same rounding.
    const o = <usize>i << 2;
    storePartial(dst + o, tanh4(loadPartial(src + o, n - i)), n - i);
  }
}

/** elu4 or gelu4 (a loop-invariant branch: both cost far more than it). */
@inline function eluOrGelu4(z: v128, act: i32): v128 {
  return act == ACT_ELU ? elu4(z) : gelu4(z);
}

/** elu'(z) from S = Y, or gelu'(z) from S = Z. */
@inline function eluOrGeluDerivative4(s: v128, act: i32): v128 {
  return act == ACT_ELU ? eluDerivative4(s) : geluDerivative4(s);
}

/** dst = elu(src) or gelu(src), elementwise; the tail through the same vector code. */
export function eluOrGeluArray(src: usize, dst: usize, n: i32, act: i32): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, eluOrGelu4(v128.load(src + o), act));
  }
  if (i < n) {
    const o = <usize>i << 2;
    storePartial(dst + o, eluOrGelu4(loadPartial(src + o, n - i), act), n - i);
  }
}

/** D ⊙= elu'(z) given S = Y = elu(Z), or gelu'(z) given S = Z. */
function multiplyByEluOrGeluDerivative(D: usize, S: usize, n: i32, act: i32): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(D + o, f32x4.mul(v128.load(D + o), eluOrGeluDerivative4(v128.load(S + o), act)));
  }
  if (i < n) {
    const o = <usize>i << 2;
    const lanes = n - i;
    storePartial(D + o, f32x4.mul(loadPartial(D + o, lanes), eluOrGeluDerivative4(loadPartial(S + o, lanes), act)), lanes);
  }
}

/** Y = act(Y) in place, for every activation but gelu (which reads its pre-activations from elsewhere). */
function activate(Y: usize, n: i32, act: i32): void {
  if (act == ACT_TANH) {
    tanhArray(Y, Y, n);
  } else if (act == ACT_ELU) {
    eluOrGeluArray(Y, Y, n, ACT_ELU);
  } else if (act == ACT_RELU) {
    const n4 = n & ~3;
    let i = 0;
    for (; i < n4; i += 4) {
      const o = <usize>i << 2;
      v128.store(Y + o, f32x4.max(v128.load(Y + o), f32x4.splat(0)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      const v = load<f32>(Y + o);
      store<f32>(Y + o, v > 0 ? v : 0);
    }
  }
}

/** D ⊙= act'(z), through y = act(z) for tanh (1 − y²), relu ([y > 0]) and elu; through Z for gelu. */
function multiplyByDerivative(D: usize, Y: usize, Z: usize, n: i32, act: i32): void {
  if (act == ACT_ELU || act == ACT_GELU) {
    multiplyByEluOrGeluDerivative(D, act == ACT_ELU ? Y : Z, n, act);
    return;
  }
  if (act != ACT_TANH && act != ACT_RELU) return;
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const y = v128.load(Y + o);
    const d = v128.load(D + o);
    if (act == ACT_TANH) {
      v128.store(D + o, f32x4.mul(d, f32x4.sub(f32x4.splat(1), f32x4.mul(y, y))));
    } else {
      v128.store(D + o, v128.and(d, f32x4.gt(y, f32x4.splat(0))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const y = load<f32>(Y + o);
    const g: f32 = act == ACT_TANH ? 1 - y * y : y > 0 ? 1 : 0;
    store<f32>(D + o, load<f32>(D + o) * g);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The dense-layer kernels of src/nn/kernels.ts. `scratch` holds max(nIn, nOut)² floats. Z (pre-activations) is
// written by denseForward and read by the others for gelu only (0 otherwise).
// ---------------------------------------------------------------------------------------------------------------

/** Y = act(X Wᵀ + b); for gelu also Z = X Wᵀ + b. */
export function denseForward(W: usize, b: usize, X: usize, Y: usize, Z: usize, scratch: usize, batch: i32, nIn: i32, nOut: i32, act: i32): void {
  if (act == ACT_GELU) {
    fillRows(Z, b, batch, nOut);
    productWithTranspose(X, W, Z, scratch, batch, nIn, nOut, true);
    eluOrGeluArray(Z, Y, batch * nOut, ACT_GELU);
    return;
  }
  fillRows(Y, b, batch, nOut);
  productWithTranspose(X, W, Y, scratch, batch, nIn, nOut, true);
  activate(Y, batch * nOut, act);
}

/** Bytes per layer in a network table: W, b, X, Y, Z (pointers), nIn, nOut, act (i32). */
const LAYER_ENTRY_BYTES: usize = 32;

/**
 * A whole network's forward pass in one call: denseForward for each of `layers` entries of `table` in turn (each
 * layer's Y is the next one's X), sharing `scratch` (max(nIn, nOut)² floats of the widest layer).
 */
export function denseForwardLayers(table: usize, layers: i32, batch: i32, scratch: usize): void {
  for (let l = 0; l < layers; l++) {
    const e = table + <usize>l * LAYER_ENTRY_BYTES;
    denseForward(
      load<u32>(e), load<u32>(e, 4), load<u32>(e, 8), load<u32>(e, 12), load<u32>(e, 16), scratch, batch,
      load<i32>(e, 20), load<i32>(e, 24), load<i32>(e, 28),
    );
  }
}

/** dZ = dY ⊙ act'(z) (in place); dW += dZᵀ X; db += Σ_rows dZ; dX = dZ W when dX ≠ 0. */
export function denseBackward(W: usize, X: usize, Y: usize, Z: usize, dY: usize, dW: usize, db: usize, dX: usize, batch: i32, nIn: i32, nOut: i32, act: i32): void {
  multiplyByDerivative(dY, Y, Z, batch * nOut, act);
  const n4 = nOut & ~3;
  for (let r = 0; r < batch; r++) {
    const row = dY + (<usize>(r * nOut) << 2);
    let o = 0;
    for (; o < n4; o += 4) {
      const p = <usize>o << 2;
      v128.store(db + p, f32x4.add(v128.load(db + p), v128.load(row + p)));
    }
    for (; o < nOut; o++) {
      const p = <usize>o << 2;
      store<f32>(db + p, load<f32>(db + p) + load<f32>(row + p));
    }
  }
  gemm(dY, 1, nOut, X, dW, nOut, batch, nIn, true);
  if (dX != 0) gemm(dY, nOut, 1, W, dX, batch, nOut, nIn, false);
}

/** vY = act'(z) ⊙ (X vWᵀ + vb + vX Wᵀ), the vX term skipped when vX = 0. */
export function denseJvp(W: usize, vW: usize, vb: usize, X: usize, vX: usize, Y: usize, Z: usize, vY: usize, scratch: usize, batch: i32, nIn: i32, nOut: i32, act: i32): void {
  fillRows(vY, vb, batch, nOut);
  productWithTranspose(X, vW, vY, scratch, batch, nIn, nOut, true);
  if (vX != 0) productWithTranspose(vX, W, vY, scratch, batch, nIn, nOut, true);
  multiplyByDerivative(vY, Y, Z, batch * nOut, act);
}

// ---------------------------------------------------------------------------------------------------------------
// Adam over the flat parameter vector, in float64 like the TypeScript reference (src/nn/optim.ts), with the
// same operations in the same order, so both give the same float32 parameters:
// m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g·g, θ ← θ − stepSize·m / (√v / √(1−β2ᵗ) + ε), stepSize = lr/(1−β1ᵗ).
// params and grads are float32, m and v float64.
// ---------------------------------------------------------------------------------------------------------------

export function adamStep(params: usize, grads: usize, m: usize, v: usize, n: i32, stepSize: f64, beta1: f64, beta2: f64, sqrtCorrection2: f64, epsilon: f64): void {
  const b1 = f64x2.splat(beta1);
  const c1 = f64x2.splat(1 - beta1);
  const b2 = f64x2.splat(beta2);
  const c2 = f64x2.splat(1 - beta2);
  const step = f64x2.splat(stepSize);
  const root = f64x2.splat(sqrtCorrection2);
  const eps = f64x2.splat(epsilon);
  const n2 = n & ~1;
  let i = 0;
  for (; i < n2; i += 2) {
    const p4 = <usize>i << 2;
    const p8 = <usize>i << 3;
    const g = f64x2.promote_low_f32x4(v128.load64_zero(grads + p4));
    const mm = f64x2.add(f64x2.mul(b1, v128.load(m + p8)), f64x2.mul(c1, g));
    const vv = f64x2.add(f64x2.mul(b2, v128.load(v + p8)), f64x2.mul(f64x2.mul(c2, g), g));
    v128.store(m + p8, mm);
    v128.store(v + p8, vv);
    const denominator = f64x2.add(f64x2.div(f64x2.sqrt(vv), root), eps);
    const theta = f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(params + p4)), f64x2.div(f64x2.mul(step, mm), denominator));
    v128.store64_lane(params + p4, f32x4.demote_f64x2_zero(theta), 0);
  }
  for (; i < n; i++) {
    const g = <f64>load<f32>(grads + (<usize>i << 2));
    const mm = beta1 * load<f64>(m + (<usize>i << 3)) + (1 - beta1) * g;
    const vv = beta2 * load<f64>(v + (<usize>i << 3)) + (1 - beta2) * g * g;
    store<f64>(m + (<usize>i << 3), mm);
    store<f64>(v + (<usize>i << 3), vv);
    const p = params + (<usize>i << 2);
    store<f32>(p, <f32>(<f64>load<f32>(p) - (stepSize * mm) / (Math.sqrt(vv) / sqrtCorrection2 + epsilon)));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Recurrent layers: LSTM (cell 0) and GRU (cell 1) over a time-major sequence, forward and backward through time.
// Equations, gate layout and array shapes: src/nn/recurrent-kernels.ts (the reference these must equal).
//
// Gate activations go through the vectorised tanh above; σ(x) = (1 + tanh(x/2))/2, so |σ_wasm − σ| ≤ half
// tanh4's error plus float32 rounding: measured maximum 1.04e-7 over [−20, 20] (test/recurrent.test.ts).
//
// Forward: one product X·W_ihᵀ for every step at once (into `pre`), then per step the hidden product
// h_prev·W_hhᵀ (B × H by H × G·H), through transposed copies of W_ih and W_hh at `scratch`
// (scratch: I·G·H + H·G·H + B·G·H floats). Backward: per step, the gate pre-activation gradients and
// dh_prev = dA·W_hh; after the loop, every parameter gradient and dX as one product each over all T·B rows.
// ---------------------------------------------------------------------------------------------------------------

const CELL_LSTM: i32 = 0;

@inline function sigmoid4(x: v128): v128 {
  return f32x4.mul(f32x4.add(f32x4.splat(1.0), tanh4(f32x4.mul(x, f32x4.splat(0.5)))), f32x4.splat(0.5));
}

/** `lanes` (1–4) floats at p, the rest 0. */
@inline function loadLanes(p: usize, lanes: i32): v128 {
  return lanes >= 4 ? v128.load(p) : loadPartial(p, lanes);
}

@inline function storeLanes(p: usize, v: v128, lanes: i32): void {
  if (lanes >= 4) v128.store(p, v);
  else storePartial(p, v, lanes);
}

@inline function f32At(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

export function sigmoidArray(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) storeLanes(f32At(dst, i), sigmoid4(loadLanes(f32At(src, i), n - i)), n - i);
}

/** dst[k] += Σ_rows src[row·stride + k] for k < cols. */
function addColumnSums(dst: usize, src: usize, rows: i32, stride: i32, cols: i32): void {
  for (let row = 0; row < rows; row++) {
    const s = f32At(src, row * stride);
    for (let k = 0; k < cols; k += 4) {
      const lanes = cols - k;
      storeLanes(f32At(dst, k), f32x4.add(loadLanes(f32At(dst, k), lanes), loadLanes(f32At(s, k), lanes)), lanes);
    }
  }
}

/** Hprev[t] = (1 − start)·(h0 or Y[t−1]); the same for the LSTM's cell state. */
function maskPreviousState(lstm: bool, starts: usize, h0: usize, c0: usize, Hprev: usize, Cprev: usize, Y: usize, C: usize, t: i32, B: i32, H: i32): void {
  for (let b = 0; b < B; b++) {
    const keep = f32x4.splat(1.0 - load<f32>(f32At(starts, t * B + b)));
    const row = (t * B + b) * H;
    const previous = t == 0 ? b * H : ((t - 1) * B + b) * H;
    const hSource = t == 0 ? h0 : Y;
    const cSource = t == 0 ? c0 : C;
    for (let j = 0; j < H; j += 4) {
      const lanes = H - j;
      storeLanes(f32At(Hprev, row + j), f32x4.mul(keep, loadLanes(f32At(hSource, previous + j), lanes)), lanes);
      if (lstm) storeLanes(f32At(Cprev, row + j), f32x4.mul(keep, loadLanes(f32At(cSource, previous + j), lanes)), lanes);
    }
  }
}

export function recurrentForward(
  cell: i32, Wih: usize, Whh: usize, bih: usize, bhh: usize, X: usize, starts: usize, h0: usize, c0: usize,
  Hprev: usize, Cprev: usize, gates: usize, Y: usize, C: usize, tanhC: usize, pre: usize, scratch: usize,
  T: i32, B: i32, I: i32, H: i32,
): void {
  const lstm = cell == CELL_LSTM;
  const GH = (lstm ? 4 : 3) * H;
  const rows = T * B;
  const WihT = scratch;
  const WhhT = f32At(WihT, I * GH);
  const work = f32At(WhhT, H * GH);
  transpose(Wih, WihT, GH, I);
  transpose(Whh, WhhT, GH, H);
  // pre = b_ih + X W_ihᵀ, plus b_hh for the LSTM; the GRU adds b_hh with its hidden product per step, since
  // b_hn sits inside r ⊙ (W_hn h + b_hn).
  for (let k = 0; k < GH; k++) {
    const bias = load<f32>(f32At(bih, k)) + (lstm ? load<f32>(f32At(bhh, k)) : 0);
    for (let row = 0; row < rows; row++) store<f32>(f32At(pre, row * GH + k), bias);
  }
  gemm(X, I, 1, WihT, pre, rows, I, GH, true);
  for (let t = 0; t < T; t++) {
    maskPreviousState(lstm, starts, h0, c0, Hprev, Cprev, Y, C, t, B, H);
    const hp = f32At(Hprev, t * B * H);
    const pt = f32At(pre, t * B * GH);
    if (lstm) {
      gemm(hp, H, 1, WhhT, pt, B, H, GH, true);
    } else {
      fillRows(work, bhh, B, GH);
      gemm(hp, H, 1, WhhT, work, B, H, GH, true);
    }
    for (let b = 0; b < B; b++) {
      const row = t * B + b;
      const a = f32At(pt, b * GH);
      const g = f32At(gates, row * 4 * H);
      const s = row * H;
      for (let j = 0; j < H; j += 4) {
        const lanes = H - j;
        if (lstm) {
          const i = sigmoid4(loadLanes(f32At(a, j), lanes));
          const f = sigmoid4(loadLanes(f32At(a, H + j), lanes));
          const gg = tanh4(loadLanes(f32At(a, 2 * H + j), lanes));
          const o = sigmoid4(loadLanes(f32At(a, 3 * H + j), lanes));
          storeLanes(f32At(g, j), i, lanes);
          storeLanes(f32At(g, H + j), f, lanes);
          storeLanes(f32At(g, 2 * H + j), gg, lanes);
          storeLanes(f32At(g, 3 * H + j), o, lanes);
          const c = f32x4.add(f32x4.mul(f, loadLanes(f32At(Cprev, s + j), lanes)), f32x4.mul(i, gg));
          const tc = tanh4(c);
          storeLanes(f32At(C, s + j), c, lanes);
          storeLanes(f32At(tanhC, s + j), tc, lanes);
          storeLanes(f32At(Y, s + j), f32x4.mul(o, tc), lanes);
        } else {
          const w = f32At(work, b * GH);
          const r = sigmoid4(f32x4.add(loadLanes(f32At(a, j), lanes), loadLanes(f32At(w, j), lanes)));
          const z = sigmoid4(f32x4.add(loadLanes(f32At(a, H + j), lanes), loadLanes(f32At(w, H + j), lanes)));
          const hn = loadLanes(f32At(w, 2 * H + j), lanes);
          const n = tanh4(f32x4.add(loadLanes(f32At(a, 2 * H + j), lanes), f32x4.mul(r, hn)));
          storeLanes(f32At(g, j), r, lanes);
          storeLanes(f32At(g, H + j), z, lanes);
          storeLanes(f32At(g, 2 * H + j), n, lanes);
          storeLanes(f32At(g, 3 * H + j), hn, lanes);
          const hprev = loadLanes(f32At(Hprev, s + j), lanes);
          const h = f32x4.add(f32x4.mul(f32x4.sub(f32x4.splat(1.0), z), n), f32x4.mul(z, hprev));
          storeLanes(f32At(Y, s + j), h, lanes);
        }
      }
    }
  }
}

export function recurrentBackward(
  cell: i32, Wih: usize, Whh: usize, X: usize, starts: usize, Hprev: usize, Cprev: usize, gates: usize,
  tanhC: usize, dY: usize, dhT: usize, dcT: usize, dWih: usize, dWhh: usize, dbih: usize, dbhh: usize, dX: usize,
  dh0: usize, dc0: usize, dGates: usize, work: usize, T: i32, B: i32, I: i32, H: i32,
): void {
  const lstm = cell == CELL_LSTM;
  const H4 = 4 * H;
  const rows = T * B;
  const stateBytes = <usize>(B * H) << 2;
  // dh0 and dc0 carry ∂L/∂h and ∂L/∂c backwards through time.
  if (dhT != 0) memory.copy(dh0, dhT, stateBytes);
  else memory.fill(dh0, 0, stateBytes);
  if (lstm) {
    if (dcT != 0) memory.copy(dc0, dcT, stateBytes);
    else memory.fill(dc0, 0, stateBytes);
  }
  const one = f32x4.splat(1.0);
  for (let t = T - 1; t >= 0; t--) {
    for (let b = 0; b < B; b++) {
      const row = t * B + b;
      const keep = f32x4.splat(1.0 - load<f32>(f32At(starts, row)));
      const g = f32At(gates, row * H4);
      const d = f32At(dGates, row * H4);
      const s = row * H;
      const carry = b * H;
      for (let j = 0; j < H; j += 4) {
        const lanes = H - j;
        const dh = f32x4.add(loadLanes(f32At(dY, s + j), lanes), loadLanes(f32At(dh0, carry + j), lanes));
        if (lstm) {
          const i = loadLanes(f32At(g, j), lanes);
          const f = loadLanes(f32At(g, H + j), lanes);
          const gg = loadLanes(f32At(g, 2 * H + j), lanes);
          const o = loadLanes(f32At(g, 3 * H + j), lanes);
          const tc = loadLanes(f32At(tanhC, s + j), lanes);
          const dc = f32x4.add(
            loadLanes(f32At(dc0, carry + j), lanes),
            f32x4.mul(f32x4.mul(dh, o), f32x4.sub(one, f32x4.mul(tc, tc))),
          );
          storeLanes(f32At(d, j), f32x4.mul(f32x4.mul(f32x4.mul(dc, gg), i), f32x4.sub(one, i)), lanes);
          const cp = loadLanes(f32At(Cprev, s + j), lanes);
          storeLanes(f32At(d, H + j), f32x4.mul(f32x4.mul(f32x4.mul(dc, cp), f), f32x4.sub(one, f)), lanes);
          storeLanes(f32At(d, 2 * H + j), f32x4.mul(f32x4.mul(dc, i), f32x4.sub(one, f32x4.mul(gg, gg))), lanes);
          storeLanes(f32At(d, 3 * H + j), f32x4.mul(f32x4.mul(f32x4.mul(dh, tc), o), f32x4.sub(one, o)), lanes);
          storeLanes(f32At(dc0, carry + j), f32x4.mul(keep, f32x4.mul(dc, f)), lanes);
        } else {
          const r = loadLanes(f32At(g, j), lanes);
          const z = loadLanes(f32At(g, H + j), lanes);
          const n = loadLanes(f32At(g, 2 * H + j), lanes);
          const hn = loadLanes(f32At(g, 3 * H + j), lanes);
          const dan = f32x4.mul(f32x4.mul(dh, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(n, n)));
          storeLanes(f32At(d, j), f32x4.mul(f32x4.mul(f32x4.mul(dan, hn), r), f32x4.sub(one, r)), lanes);
          const hp = loadLanes(f32At(Hprev, s + j), lanes);
          storeLanes(f32At(d, H + j), f32x4.mul(f32x4.mul(f32x4.mul(dh, f32x4.sub(hp, n)), z), f32x4.sub(one, z)), lanes);
          storeLanes(f32At(d, 2 * H + j), dan, lanes);
          storeLanes(f32At(d, 3 * H + j), f32x4.mul(dan, r), lanes);
          storeLanes(f32At(work, carry + j), f32x4.mul(dh, z), lanes);
        }
      }
    }
    // dh_prev = dA·W_hh (the GRU: its direct term dh·z is already in work, and its n rows read d(hn)).
    const dt = f32At(dGates, t * B * H4);
    if (lstm) {
      gemm(dt, H4, 1, Whh, work, B, H4, H, false);
    } else {
      gemm(dt, H4, 1, Whh, work, B, 2 * H, H, true);
      gemm(f32At(dt, 3 * H), H4, 1, f32At(Whh, 2 * H * H), work, B, H, H, true);
    }
    for (let b = 0; b < B; b++) {
      const keep = f32x4.splat(1.0 - load<f32>(f32At(starts, t * B + b)));
      for (let j = 0; j < H; j += 4) {
        const lanes = H - j;
        const k = b * H + j;
        storeLanes(f32At(dh0, k), f32x4.mul(keep, loadLanes(f32At(work, k), lanes)), lanes);
      }
    }
  }
  if (lstm) {
    gemm(dGates, 1, H4, X, dWih, H4, rows, I, true);
    gemm(dGates, 1, H4, Hprev, dWhh, H4, rows, H, true);
    addColumnSums(dbih, dGates, rows, H4, H4);
    addColumnSums(dbhh, dGates, rows, H4, H4);
    if (dX != 0) gemm(dGates, H4, 1, Wih, dX, rows, H4, I, false);
  } else {
    gemm(dGates, 1, H4, X, dWih, 3 * H, rows, I, true);
    gemm(dGates, 1, H4, Hprev, dWhh, 2 * H, rows, H, true);
    gemm(f32At(dGates, 3 * H), 1, H4, Hprev, f32At(dWhh, 2 * H * H), H, rows, H, true);
    addColumnSums(dbih, dGates, rows, H4, 3 * H);
    addColumnSums(dbhh, dGates, rows, H4, 2 * H);
    addColumnSums(f32At(dbhh, 2 * H), f32At(dGates, 3 * H), rows, H4, H);
    if (dX != 0) gemm(dGates, H4, 1, Wih, dX, rows, 3 * H, I, false);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// A whole PPO minibatch in one call (src/algos/fused-ppo.ts lays out its context): forward of the actor and the
// critic, the loss heads (log-prob, entropy, clipped surrogate with its KL estimate and clip count, the value
// loss), their gradients, backward through both networks, global-norm clipping and Adam. The reference is the
// JavaScript path (src/algos/loss/*.ts, src/policies/distributions.ts, src/nn/optim.ts): the heads run in float64
// with the same formulas in the same order, every float32 store where JavaScript stores into a Float32Array, and
// exp/log are the host's own Math.exp and Math.log (imported), so both paths give the same bits.
// ---------------------------------------------------------------------------------------------------------------

@external("env", "exp") declare function hostExp(x: f64): f64;
@external("env", "log") declare function hostLog(x: f64): f64;

/** Bytes per layer in a training table: W, b, X, Y, Z, nIn, nOut, act, dW, db, dY, dX (i32 each). */
const TRAIN_ENTRY_BYTES: usize = 48;

// Context slots (float64 each; pointers are byte offsets). Keep in step with FUSED_SLOTS in src/algos/fused-ppo.ts.
const S_ACTOR_TABLE = 0;
const S_ACTOR_LAYERS = 1;
const S_CRITIC_TABLE = 2;
const S_CRITIC_LAYERS = 3;
const S_SCRATCH = 4;
const S_BATCH = 5;
const S_OBS_DIM = 6;
const S_OBSERVATIONS = 7;
const S_ACTIONS = 8;
const S_ADVANTAGES = 9;
const S_OLD_LOG_PROBS = 10;
const S_RETURNS = 11;
const S_OLD_VALUES = 12;
const S_GAUSSIAN = 13;
const S_COMPONENTS = 14;
const S_COMPONENT_SIZES = 15;
const S_INPUT_SIZE = 16;
const S_DIST_INPUTS = 17;
const S_DIST_GRADS = 18;
const S_LOG_STD = 19;
const S_LOG_STD_GRADS = 20;
const S_HEAD_SCRATCH = 21;
const S_CLIPPED = 22;
const S_CLIP_RANGE = 23;
const S_ENT_COEF = 24;
const S_VF_COEF = 25;
const S_CLEANRL_VALUE = 26;
const S_CLIP_RANGE_VF = 27;
const S_MAX_GRAD_NORM = 28;
const S_KL_LIMIT = 29;
const S_PARAMS = 30;
const S_GRADS = 31;
const S_NUM_PARAMS = 32;
const S_ADAM_M = 33;
const S_ADAM_V = 34;
const S_STEP_SIZE = 35;
const S_SQRT_CORRECTION2 = 36;
const S_BETA1 = 37;
const S_BETA2 = 38;
const S_ADAM_EPSILON = 39;
const S_OUT_POLICY = 40;
const S_OUT_APPROX_KL = 41;
const S_OUT_CLIPPED = 42;
const S_OUT_ENTROPY = 43;
const S_OUT_VALUE = 44;
const S_OUT_NORM = 45;
const S_MASKS = 46;
const S_CRITIC_OFFSET = 47;
const S_CRITIC_SCRATCH = 48;
/** The global-norm clip's factor for `ppoStepRange` (1: no clipping), written by `ppoNorm`. */
const S_CLIP_SCALE = 49;

@inline function slot(ctx: usize, i: i32): f64 {
  return load<f64>(ctx + (<usize>i << 3));
}

@inline function slotPointer(ctx: usize, i: i32): usize {
  return <usize>load<f64>(ctx + (<usize>i << 3));
}

@inline function f32Load(base: usize, index: i32): f64 {
  return <f64>load<f32>(base + (<usize>index << 2));
}

@inline function f32Store(base: usize, index: i32, value: f64): void {
  store<f32>(base + (<usize>index << 2), <f32>value);
}

/** base[index] += value as JavaScript does on a Float32Array: the float64 sum rounded to float32. */
@inline function f32Add(base: usize, index: i32, value: f64): void {
  f32Store(base, index, f32Load(base, index) + value);
}

@inline function f64At(base: usize, index: i32): f64 {
  return load<f64>(base + (<usize>index << 3));
}

function forwardTable(table: usize, layers: i32, batch: i32, scratch: usize): void {
  for (let l = 0; l < layers; l++) {
    const e = table + <usize>l * TRAIN_ENTRY_BYTES;
    denseForward(
      load<u32>(e), load<u32>(e, 4), load<u32>(e, 8), load<u32>(e, 12), load<u32>(e, 16), scratch, batch,
      load<i32>(e, 20), load<i32>(e, 24), load<i32>(e, 28),
    );
  }
}

/** MLP.backward from the top layer's dY down; the first layer's dX (the network's input gradient) is not needed. */
function backwardTable(table: usize, layers: i32, batch: i32): void {
  for (let l = layers - 1; l >= 0; l--) {
    const e = table + <usize>l * TRAIN_ENTRY_BYTES;
    denseBackward(
      load<u32>(e), load<u32>(e, 8), load<u32>(e, 12), load<u32>(e, 16), load<u32>(e, 40), load<u32>(e, 32),
      load<u32>(e, 36), l == 0 ? 0 : load<u32>(e, 44), batch, load<i32>(e, 20), load<i32>(e, 24), load<i32>(e, 28),
    );
  }
}

@inline function tableY(table: usize, layers: i32): usize {
  return load<u32>(table + <usize>(layers - 1) * TRAIN_ENTRY_BYTES, 12);
}

@inline function tableDY(table: usize, layers: i32): usize {
  return load<u32>(table + <usize>(layers - 1) * TRAIN_ENTRY_BYTES, 40);
}

@inline function tableX(table: usize): usize {
  return load<u32>(table, 8);
}

/**
 * The surrogate of one row (Surrogate.accumulate, the ratio form): adds s, (r − 1) − log r and the clip count to
 * the context's sums and returns ∂L/∂log π = −(∂s/∂log π)/N.
 */
function surrogateRow(ctx: usize, b: i32, logProb: f64, total: f64): f64 {
  const logRatio = logProb - f64At(slotPointer(ctx, S_OLD_LOG_PROBS), b);
  const r = hostExp(logRatio);
  const advantage = f64At(slotPointer(ctx, S_ADVANTAGES), b);
  const eps = slot(ctx, S_CLIP_RANGE);
  const unclipped = r * advantage;
  let s = unclipped;
  let d = unclipped;
  if (slot(ctx, S_CLIPPED) != 0) {
    const clippedTerm = Math.min(Math.max(r, 1 - eps), 1 + eps) * advantage;
    if (clippedTerm < unclipped) {
      d = 0;
      s = clippedTerm;
    }
  }
  store<f64>(ctx + (<usize>S_OUT_POLICY << 3), slot(ctx, S_OUT_POLICY) + s);
  store<f64>(ctx + (<usize>S_OUT_APPROX_KL << 3), slot(ctx, S_OUT_APPROX_KL) + (r - 1 - logRatio));
  if (Math.abs(r - 1) > eps) store<f64>(ctx + (<usize>S_OUT_CLIPPED << 3), slot(ctx, S_OUT_CLIPPED) + 1);
  return -d / total;
}

/**
 * The logits with masked actions at −∞ (Categorical.maskLogits) into `masked`; false when a row's component
 * allows no action (the caller then reports it as JavaScript does).
 */
function maskLogits(ctx: usize, batch: i32, logits: usize, masks: usize, masked: usize): bool {
  const inputSize = <i32>slot(ctx, S_INPUT_SIZE);
  const components = <i32>slot(ctx, S_COMPONENTS);
  return maskRows(batch, inputSize, components, slotPointer(ctx, S_COMPONENT_SIZES), logits, masks, masked);
}

/** maskLogits for `batch` rows of `inputSize` logits in `components` components of the int32 `sizes`. */
function maskRows(batch: i32, inputSize: i32, components: i32, sizes: usize, logits: usize, masks: usize, masked: usize): bool {
  for (let b = 0; b < batch; b++) {
    let offset = b * inputSize;
    for (let c = 0; c < components; c++) {
      const n = load<i32>(sizes + (<usize>c << 2));
      let allowed = 0;
      for (let i = offset; i < offset + n; i++) {
        const keep = load<u8>(masks + <usize>i) != 0;
        store<f32>(masked + (<usize>i << 2), keep ? load<f32>(logits + (<usize>i << 2)) : -Infinity);
        if (keep) allowed++;
      }
      if (allowed == 0) return false;
      offset += n;
    }
  }
  return true;
}

/** Categorical heads of every row (Categorical.logProb, entropy, gradLogProb, gradEntropy), the gradient into dY. */
function categoricalHeads(ctx: usize, batch: i32, total: f64, logits: usize, grads: usize): void {
  const inputSize = <i32>slot(ctx, S_INPUT_SIZE);
  const components = <i32>slot(ctx, S_COMPONENTS);
  const sizes = slotPointer(ctx, S_COMPONENT_SIZES);
  const actions = slotPointer(ctx, S_ACTIONS);
  const p = slotPointer(ctx, S_HEAD_SCRATCH);
  const logp = p + (<usize>inputSize << 3);
  const entropyWeight = -slot(ctx, S_ENT_COEF) / total;
  let entropySum: f64 = 0;
  for (let b = 0; b < batch; b++) {
    const row = b * inputSize;
    let logProb: f64 = 0;
    let entropy: f64 = 0;
    let offset = 0;
    for (let c = 0; c < components; c++) {
      // softmax and log-softmax of the component, as Categorical.softmax (logSumExp's max + log Σ is the same).
      const n = load<i32>(sizes + (<usize>c << 2));
      let max = -Infinity;
      for (let i = 0; i < n; i++) {
        const x = f32Load(logits, row + offset + i);
        if (x > max) max = x;
      }
      let sum: f64 = 0;
      for (let i = 0; i < n; i++) {
        const e = hostExp(f32Load(logits, row + offset + i) - max);
        store<f64>(p + (<usize>(offset + i) << 3), e);
        sum += e;
      }
      const logSum = max + hostLog(sum);
      const inverse = 1 / sum;
      for (let i = 0; i < n; i++) {
        store<f64>(logp + (<usize>(offset + i) << 3), f32Load(logits, row + offset + i) - logSum);
        store<f64>(p + (<usize>(offset + i) << 3), f64At(p, offset + i) * inverse);
      }
      const action = <i32>load<f32>(actions + (<usize>(b * components + c) << 2));
      logProb += f32Load(logits, row + offset + action) - logSum;
      for (let i = 0; i < n; i++) {
        const pi = f64At(p, offset + i);
        if (pi > 0) entropy -= pi * f64At(logp, offset + i);
      }
      offset += n;
    }
    entropySum += entropy;
    const w = surrogateRow(ctx, b, logProb, total);
    if (w != 0) {
      offset = 0;
      for (let c = 0; c < components; c++) {
        const n = load<i32>(sizes + (<usize>c << 2));
        for (let i = 0; i < n; i++) f32Add(grads, row + offset + i, -(w * f64At(p, offset + i)));
        const action = <i32>load<f32>(actions + (<usize>(b * components + c) << 2));
        f32Add(grads, row + offset + action, w);
        offset += n;
      }
    }
    if (entropyWeight != 0) {
      offset = 0;
      for (let c = 0; c < components; c++) {
        const n = load<i32>(sizes + (<usize>c << 2));
        let h: f64 = 0;
        for (let i = 0; i < n; i++) {
          const pi = f64At(p, offset + i);
          if (pi > 0) h -= pi * f64At(logp, offset + i);
        }
        for (let i = 0; i < n; i++) {
          const pi = f64At(p, offset + i);
          if (pi > 0) f32Add(grads, row + offset + i, -(entropyWeight * pi * (f64At(logp, offset + i) + h)));
        }
        offset += n;
      }
    }
  }
  store<f64>(ctx + (<usize>S_OUT_ENTROPY << 3), entropySum);
}

/**
 * Diagonal Gaussian heads with a free log σ (DiagGaussian, ActorCriticPolicy.distInputs/backwardActor): the
 * inputs [μ | log σ] built from the actor's output, then per row log π, H, their gradients; μ's gradient into
 * the actor's dY, log σ's summed over the rows into its parameters' gradient.
 */
function gaussianHeads(ctx: usize, batch: i32, total: f64, mean: usize, headGrads: usize): void {
  const D = <i32>slot(ctx, S_COMPONENTS);
  const inputs = slotPointer(ctx, S_DIST_INPUTS);
  const grads = slotPointer(ctx, S_DIST_GRADS);
  const logStd = slotPointer(ctx, S_LOG_STD);
  const logStdGrads = slotPointer(ctx, S_LOG_STD_GRADS);
  const actions = slotPointer(ctx, S_ACTIONS);
  const log2pi = hostLog(2 * Math.PI);
  const entropyWeight = -slot(ctx, S_ENT_COEF) / total;
  memory.fill(grads, 0, <usize>(batch * 2 * D) << 2);
  let entropySum: f64 = 0;
  for (let b = 0; b < batch; b++) {
    const row = b * 2 * D;
    for (let d = 0; d < D; d++) {
      store<f32>(inputs + (<usize>(row + d) << 2), load<f32>(mean + (<usize>(b * D + d) << 2)));
      store<f32>(inputs + (<usize>(row + D + d) << 2), load<f32>(logStd + (<usize>d << 2)));
    }
    let logProb: f64 = 0;
    let entropy: f64 = 0;
    for (let d = 0; d < D; d++) {
      const ls = f32Load(inputs, row + D + d);
      const z = (f32Load(actions, b * D + d) - f32Load(inputs, row + d)) / hostExp(ls);
      logProb += -0.5 * z * z - ls - 0.5 * log2pi;
    }
    for (let d = 0; d < D; d++) entropy += 0.5 + 0.5 * log2pi + f32Load(inputs, row + D + d);
    entropySum += entropy;
    const w = surrogateRow(ctx, b, logProb, total);
    if (w != 0) {
      for (let d = 0; d < D; d++) {
        const std = hostExp(f32Load(inputs, row + D + d));
        const z = (f32Load(actions, b * D + d) - f32Load(inputs, row + d)) / std;
        f32Add(grads, row + d, (w * z) / std);
        f32Add(grads, row + D + d, w * (z * z - 1));
      }
    }
    if (entropyWeight != 0) for (let d = 0; d < D; d++) f32Add(grads, row + D + d, entropyWeight);
  }
  for (let b = 0; b < batch; b++) {
    for (let d = 0; d < D; d++) {
      store<f32>(headGrads + (<usize>(b * D + d) << 2), load<f32>(grads + (<usize>(b * 2 * D + d) << 2)));
      f32Add(logStdGrads, d, f32Load(grads, b * 2 * D + D + d));
    }
  }
  store<f64>(ctx + (<usize>S_OUT_ENTROPY << 3), entropySum);
}

/** V_old + clip(V − V_old, −ε_V, ε_V), V itself inside the range (clippedValue in value-loss.ts). */
@inline function clippedValue(v: f64, oldValue: f64, clipRangeVf: f64): f64 {
  if (Math.abs(v - oldValue) <= clipRangeVf) return v;
  return oldValue + Math.sign(v - oldValue) * clipRangeVf;
}

/** The value loss of every row (ValueLoss.accumulate) and ∂(c_V·L_V)/∂V into the critic's dY. */
function valueHeads(ctx: usize, batch: i32, total: f64, values: usize, grads: usize): void {
  const returns = slotPointer(ctx, S_RETURNS);
  const oldValues = slotPointer(ctx, S_OLD_VALUES);
  const coef = slot(ctx, S_VF_COEF);
  const cleanrl = slot(ctx, S_CLEANRL_VALUE) != 0;
  const clipRangeVf = slot(ctx, S_CLIP_RANGE_VF);
  const clipping = !isNaN(clipRangeVf);
  let sum: f64 = 0;
  memory.fill(grads, 0, <usize>batch << 2);
  for (let b = 0; b < batch; b++) {
    const v = f32Load(values, b);
    const vClip = clipping ? clippedValue(v, f64At(oldValues, b), clipRangeVf) : v;
    const target = f64At(returns, b);
    const err = v - target;
    const errClip = vClip - target;
    const flowsThroughClip: f64 = vClip == v ? 1 : 0;
    let gradient: f64;
    if (!cleanrl) {
      sum += errClip * errClip;
      gradient = (coef * 2 * errClip * flowsThroughClip) / total;
    } else if (err * err >= errClip * errClip) {
      sum += 0.5 * err * err;
      gradient = (coef * err) / total;
    } else {
      sum += 0.5 * errClip * errClip;
      gradient = (coef * errClip * flowsThroughClip) / total;
    }
    f32Add(grads, b, gradient);
  }
  store<f64>(ctx + (<usize>S_OUT_VALUE << 3), sum);
}

/**
 * The actor's half of a PPO minibatch: forward, the policy heads (log π, H, the surrogate with its KL estimate and
 * clip count) and backward into the actor's slice of the gradient (zeroed first). Returns 1, or −1 when an action
 * mask allows no action in some row (nothing computed). It touches nothing of the critic's, so `ppoCriticHalf`
 * may run at the same time on another thread (the same memory, another instance).
 */
export function ppoActorHalf(ctx: usize): i32 {
  const batch = <i32>slot(ctx, S_BATCH);
  const total = <f64>batch;
  const actorTable = slotPointer(ctx, S_ACTOR_TABLE);
  const actorLayers = <i32>slot(ctx, S_ACTOR_LAYERS);
  for (let i = S_OUT_POLICY; i <= S_OUT_ENTROPY; i++) store<f64>(ctx + (<usize>i << 3), 0);
  store<f64>(ctx + (<usize>S_OUT_NORM << 3), 0);
  memory.fill(slotPointer(ctx, S_GRADS), 0, <usize>(<i32>slot(ctx, S_CRITIC_OFFSET)) << 2);
  const observationBytes = <usize>(batch * <i32>slot(ctx, S_OBS_DIM)) << 2;
  memory.copy(tableX(actorTable), slotPointer(ctx, S_OBSERVATIONS), observationBytes);
  forwardTable(actorTable, actorLayers, batch, slotPointer(ctx, S_SCRATCH));
  const actorOut = tableY(actorTable, actorLayers);
  const actorGrads = tableDY(actorTable, actorLayers);
  if (slot(ctx, S_GAUSSIAN) != 0) {
    gaussianHeads(ctx, batch, total, actorOut, actorGrads);
  } else {
    let logits = actorOut;
    const masks = slotPointer(ctx, S_MASKS);
    if (masks != 0) {
      logits = slotPointer(ctx, S_DIST_INPUTS);
      if (!maskLogits(ctx, batch, actorOut, masks, logits)) return -1;
    }
    memory.fill(actorGrads, 0, <usize>(batch * <i32>slot(ctx, S_INPUT_SIZE)) << 2);
    categoricalHeads(ctx, batch, total, logits, actorGrads);
  }
  backwardTable(actorTable, actorLayers, batch);
  return 1;
}

/**
 * The critic's half of a PPO minibatch: forward, the value loss and backward into the critic's slice of the
 * gradient (zeroed first), with its own scratch (S_CRITIC_SCRATCH) so that it may run beside `ppoActorHalf`.
 */
export function ppoCriticHalf(ctx: usize): void {
  const batch = <i32>slot(ctx, S_BATCH);
  const criticTable = slotPointer(ctx, S_CRITIC_TABLE);
  const criticLayers = <i32>slot(ctx, S_CRITIC_LAYERS);
  const criticOffset = <i32>slot(ctx, S_CRITIC_OFFSET);
  const grads = slotPointer(ctx, S_GRADS) + (<usize>criticOffset << 2);
  memory.fill(grads, 0, <usize>(<i32>slot(ctx, S_NUM_PARAMS) - criticOffset) << 2);
  const observationBytes = <usize>(batch * <i32>slot(ctx, S_OBS_DIM)) << 2;
  memory.copy(tableX(criticTable), slotPointer(ctx, S_OBSERVATIONS), observationBytes);
  forwardTable(criticTable, criticLayers, batch, slotPointer(ctx, S_CRITIC_SCRATCH));
  valueHeads(ctx, batch, <f64>batch, tableY(criticTable, criticLayers), tableDY(criticTable, criticLayers));
  backwardTable(criticTable, criticLayers, batch);
}

/**
 * After both halves, the first part of the step: 0 when the target-KL stop keeps the step out (the mean (r − 1) −
 * log r above the context's limit: the gradient is computed, not applied, as SB3 does); else 1, with the global
 * norm of the gradient (one float64 sum in index order) in S_OUT_NORM and the clip factor for `ppoStepRange` in
 * S_CLIP_SCALE (1 when the norm is within the limit or there is none).
 */
export function ppoNorm(ctx: usize): i32 {
  const batch = <i32>slot(ctx, S_BATCH);
  if (slot(ctx, S_OUT_APPROX_KL) / <f64>batch > slot(ctx, S_KL_LIMIT)) return 0;
  const maxNorm = slot(ctx, S_MAX_GRAD_NORM);
  let scale: f64 = 1;
  if (!isNaN(maxNorm)) {
    const grads = slotPointer(ctx, S_GRADS);
    const numParams = <i32>slot(ctx, S_NUM_PARAMS);
    let sum: f64 = 0;
    for (let i = 0; i < numParams; i++) {
      const g = f32Load(grads, i);
      sum += g * g;
    }
    const norm = Math.sqrt(sum);
    store<f64>(ctx + (<usize>S_OUT_NORM << 3), norm);
    const factor = maxNorm / (norm + 1e-6);
    if (factor < 1) scale = factor;
  }
  store<f64>(ctx + (<usize>S_CLIP_SCALE << 3), scale);
  return 1;
}

/**
 * The rest of the step for parameters [from, to): the gradient scaled by the clip factor, then Adam. Every element
 * on its own, so two threads may each take a range (the critic thread the critic's, whose gradient, moments and
 * parameters stay in its core's cache) and the bits are those of one call over all of them.
 */
export function ppoStepRange(ctx: usize, from: i32, to: i32): void {
  const grads = slotPointer(ctx, S_GRADS) + (<usize>from << 2);
  const n = to - from;
  const scale = slot(ctx, S_CLIP_SCALE);
  if (scale < 1) for (let i = 0; i < n; i++) f32Store(grads, i, f32Load(grads, i) * scale);
  adamStep(
    slotPointer(ctx, S_PARAMS) + (<usize>from << 2), grads, slotPointer(ctx, S_ADAM_M) + (<usize>from << 3),
    slotPointer(ctx, S_ADAM_V) + (<usize>from << 3), n, slot(ctx, S_STEP_SIZE), slot(ctx, S_BETA1),
    slot(ctx, S_BETA2), slot(ctx, S_SQRT_CORRECTION2), slot(ctx, S_ADAM_EPSILON),
  );
}

/** After both halves: 1 and the step taken (`ppoNorm`, then `ppoStepRange` over all parameters), or 0 (KL stop). */
export function ppoApply(ctx: usize): i32 {
  if (ppoNorm(ctx) == 0) return 0;
  ppoStepRange(ctx, 0, <i32>slot(ctx, S_NUM_PARAMS));
  return 1;
}

/**
 * One PPO minibatch on one thread: both halves, then the step. Returns 1 when it took the optimizer step, 0 when
 * the target-KL stop kept it out, −1 when an action mask allows no action in some row (nothing computed).
 */
export function ppoMinibatch(ctx: usize): i32 {
  if (ppoActorHalf(ctx) < 0) return -1;
  ppoCriticHalf(ctx);
  return ppoApply(ctx);
}

// ---------------------------------------------------------------------------------------------------------------
// The rollout's batched act in one call (src/policies/fused-act.ts lays out its context): forward of the actor and
// the critic, the head's sample (or mode), its log-probability and the value. The reference is
// ActorCriticPolicy.act (src/policies/actor-critic.ts, distributions.ts): the draws are the caller's own, taken
// from its Rng in the order the JavaScript sample consumes them (a uniform per row and component, a normal per row
// and dimension), the head runs in float64 with the same formulas in the same order and the host's exp/log, so
// both paths give the same bits.
// ---------------------------------------------------------------------------------------------------------------

// Context slots (float64 each; pointers are byte offsets). Keep in step with SLOT in src/policies/fused-act.ts;
// slots 0–4 (the training tables of src/nn/network-tables.ts) are ppoMinibatch's.
const A_ACTOR_TABLE = 0;
const A_ACTOR_LAYERS = 1;
const A_CRITIC_TABLE = 2;
const A_CRITIC_LAYERS = 3;
const A_SCRATCH = 4;
const A_BATCH = 5;
const A_OBS_DIM = 6;
const A_GAUSSIAN = 7;
const A_COMPONENTS = 8;
const A_COMPONENT_SIZES = 9;
const A_INPUT_SIZE = 10;
const A_MASKED_LOGITS = 11;
const A_LOG_STD = 12;
const A_NOISE = 13;
const A_MASKS = 14;
const A_ACTIONS = 15;
const A_LOG_PROBS = 16;
const A_VALUES = 17;
const A_HEAD_SCRATCH = 18;
const A_DETERMINISTIC = 19;

/**
 * Categorical.sample (or mode) and logProb of every row from its logits: per component the softmax in float64, the
 * first allowed action whose cumulative probability passes the row's uniform (the last allowed one absorbing
 * rounding), log π = Σ_c (z_a − log Σ exp z) with logSumExp's max + log Σ.
 */
function categoricalAct(ctx: usize, batch: i32, logits: usize): void {
  const inputSize = <i32>slot(ctx, A_INPUT_SIZE);
  const components = <i32>slot(ctx, A_COMPONENTS);
  const sizes = slotPointer(ctx, A_COMPONENT_SIZES);
  const uniforms = slotPointer(ctx, A_NOISE);
  const actions = slotPointer(ctx, A_ACTIONS);
  const logProbs = slotPointer(ctx, A_LOG_PROBS);
  const p = slotPointer(ctx, A_HEAD_SCRATCH);
  const deterministic = slot(ctx, A_DETERMINISTIC) != 0;
  for (let b = 0; b < batch; b++) {
    let offset = b * inputSize;
    let logProb: f64 = 0;
    for (let c = 0; c < components; c++) {
      const n = load<i32>(sizes + (<usize>c << 2));
      let max = -Infinity;
      for (let i = 0; i < n; i++) {
        const x = f32Load(logits, offset + i);
        if (x > max) max = x;
      }
      let sum: f64 = 0;
      for (let i = 0; i < n; i++) {
        const e = hostExp(f32Load(logits, offset + i) - max);
        store<f64>(p + (<usize>i << 3), e);
        sum += e;
      }
      const logSum = max + hostLog(sum);
      let chosen = -1;
      if (deterministic) {
        chosen = 0;
        for (let i = 1; i < n; i++) if (f32Load(logits, offset + i) > f32Load(logits, offset + chosen)) chosen = i;
      } else {
        const inverse = 1 / sum;
        let u = f64At(uniforms, b * components + c);
        for (let i = 0; i < n; i++) {
          const pi = f64At(p, i) * inverse;
          if (pi == 0) continue;
          chosen = i;
          u -= pi;
          if (u < 0) break;
        }
      }
      f32Store(actions, b * components + c, <f64>chosen);
      logProb += f32Load(logits, offset + chosen) - logSum;
      offset += n;
    }
    f32Store(logProbs, b, logProb);
  }
}

/**
 * DiagGaussian.sample (μ + σ·n with the row's normal n; μ when deterministic) and logProb of every row, with the
 * free log σ of the policy's parameters (ActorCriticPolicy.distInputs).
 */
function gaussianAct(ctx: usize, batch: i32, mean: usize): void {
  const D = <i32>slot(ctx, A_COMPONENTS);
  const logStd = slotPointer(ctx, A_LOG_STD);
  const normals = slotPointer(ctx, A_NOISE);
  const actions = slotPointer(ctx, A_ACTIONS);
  const logProbs = slotPointer(ctx, A_LOG_PROBS);
  const deterministic = slot(ctx, A_DETERMINISTIC) != 0;
  const log2pi = hostLog(2 * Math.PI);
  for (let b = 0; b < batch; b++) {
    for (let d = 0; d < D; d++) {
      const mu = f32Load(mean, b * D + d);
      f32Store(actions, b * D + d, deterministic ? mu : mu + hostExp(f32Load(logStd, d)) * f64At(normals, b * D + d));
    }
    let logProb: f64 = 0;
    for (let d = 0; d < D; d++) {
      const ls = f32Load(logStd, d);
      const z = (f32Load(actions, b * D + d) - f32Load(mean, b * D + d)) / hostExp(ls);
      logProb += -0.5 * z * z - ls - 0.5 * log2pi;
    }
    f32Store(logProbs, b, logProb);
  }
}

/**
 * One batched act: the observations are already in the actor's input (the caller copies them, as MLP.forward
 * does). Returns 1, or −1 when an action mask allows no action in some row (nothing sampled).
 */
export function actBatch(ctx: usize): i32 {
  const batch = <i32>slot(ctx, A_BATCH);
  const actorTable = slotPointer(ctx, A_ACTOR_TABLE);
  const actorLayers = <i32>slot(ctx, A_ACTOR_LAYERS);
  const criticTable = slotPointer(ctx, A_CRITIC_TABLE);
  const criticLayers = <i32>slot(ctx, A_CRITIC_LAYERS);
  const scratch = slotPointer(ctx, A_SCRATCH);
  const gaussian = slot(ctx, A_GAUSSIAN) != 0;
  let logits = tableY(actorTable, actorLayers);
  const masks = slotPointer(ctx, A_MASKS);
  forwardTable(actorTable, actorLayers, batch, scratch);
  if (!gaussian && masks != 0) {
    const masked = slotPointer(ctx, A_MASKED_LOGITS);
    const inputSize = <i32>slot(ctx, A_INPUT_SIZE);
    const components = <i32>slot(ctx, A_COMPONENTS);
    if (!maskRows(batch, inputSize, components, slotPointer(ctx, A_COMPONENT_SIZES), logits, masks, masked)) return -1;
    logits = masked;
  }
  if (gaussian) gaussianAct(ctx, batch, logits);
  else categoricalAct(ctx, batch, logits);
  const observationBytes = <usize>(batch * <i32>slot(ctx, A_OBS_DIM)) << 2;
  memory.copy(tableX(criticTable), tableX(actorTable), observationBytes);
  forwardTable(criticTable, criticLayers, batch, scratch);
  memory.copy(slotPointer(ctx, A_VALUES), tableY(criticTable, criticLayers), <usize>batch << 2);
  return 1;
}
