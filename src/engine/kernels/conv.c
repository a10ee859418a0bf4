/*
 * Convolution kernels for the tfjs wasm backend: forward, filter gradient and
 * input gradient of a 2-D NHWC float32 convolution (any stride and padding,
 * no dilation), each as im2col panels + one register-blocked SIMD GEMM, or,
 * for unpadded convolutions with long output rows, the same GEMM reading the
 * input in place (the direct paths); and the same GEMM as a plain matrix
 * product (BatchMatMul, dense layers).
 *
 * Why: XNNPACK as built into tfjs-backend-wasm 4.22 runs PilotNet's
 * convolutions at 8-12 GFLOP/s on this project's machine, while a plain 4x8
 * wasm-SIMD microkernel reaches 25-32 GFLOP/s on the same shapes (measured,
 * see src/engine/simd-conv.ts). PilotNet's layers have few channels (3-64),
 * where XNNPACK's indirect GEMM handles short runs per pointer poorly.
 *
 * Memory rules (this module shares the tfjs wasm backend's linear memory):
 * - every buffer is passed in by pointer and owned by the caller;
 * - the module must have no data segment and must never touch a shadow stack
 *   (no locals whose address is taken, no arrays on the stack). The loader
 *   refuses a build that has a data section or globals (simd-conv.ts), so a
 *   change that makes clang spill to memory fails loudly instead of silently
 *   writing into tfjs's heap.
 *
 * Build: scripts/build-kernels.sh (Debian's clang-19 + lld, wasm32, -msimd128; a second module adds
 * -mrelaxed-simd for fused multiply-adds).
 */
#include "gemm.h"

HIDDEN void gemm(int m, int n, int k, const float* ap, const float* b, int bps, int ldb,
                 float* c, int ldc, int acc) {
  for (int j = 0; j < n; j += 8) {
    int nv = n - j < 8 ? n - j : 8;
    const float* bj = b + (j >> 3) * bps;
    for (int i = 0; i < m; i += 4) k4x8(k, ap + i * k, bj, ldb, c + i * ldc + j, ldc, nv, m - i < 4 ? m - i : 4, acc);
  }
}

/* Packs m rows of a row-major A (row stride lda) for gemm: 4x4 blocks transposed with shuffles. */
HIDDEN void pack_a_rows(int m, int k, const float* a, int lda, float* ap) {
  for (int g = 0; g < m; g += 4, ap += 4 * k) {
    const float* r0 = a + g * lda;
    if (g + 4 <= m) {
      const float* r1 = r0 + lda;
      const float* r2 = r1 + lda;
      const float* r3 = r2 + lda;
      int p = 0;
      for (; p + 4 <= k; p += 4) {
        v128_t v0 = wasm_v128_load(r0 + p), v1 = wasm_v128_load(r1 + p);
        v128_t v2 = wasm_v128_load(r2 + p), v3 = wasm_v128_load(r3 + p);
        v128_t t0 = wasm_i32x4_shuffle(v0, v1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(v2, v3, 0, 4, 1, 5);
        v128_t t2 = wasm_i32x4_shuffle(v0, v1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(v2, v3, 2, 6, 3, 7);
        float* d = ap + 4 * p;
        wasm_v128_store(d, wasm_i64x2_shuffle(t0, t1, 0, 2));
        wasm_v128_store(d + 4, wasm_i64x2_shuffle(t0, t1, 1, 3));
        wasm_v128_store(d + 8, wasm_i64x2_shuffle(t2, t3, 0, 2));
        wasm_v128_store(d + 12, wasm_i64x2_shuffle(t2, t3, 1, 3));
      }
      for (; p < k; p++) {
        ap[4 * p] = r0[p]; ap[4 * p + 1] = r1[p]; ap[4 * p + 2] = r2[p]; ap[4 * p + 3] = r3[p];
      }
    } else {
      for (int p = 0; p < k; p++)
        for (int q = 0; q < 4; q++) ap[4 * p + q] = g + q < m ? r0[q * lda + p] : 0.0f;
    }
  }
}

/* Packs the transpose of a row-major block X[k x m] (row stride ldx): A[i][p] = X[p][i].
 * Four consecutive columns of one row of X are one group's 4 values: a plain vector copy. */
HIDDEN void pack_a_cols(int m, int k, const float* x, int ldx, float* ap) {
  for (int g = 0; g < m; g += 4, ap += 4 * k) {
    const float* col = x + g;
    if (g + 4 <= m) {
      for (int p = 0; p < k; p++) wasm_v128_store(ap + 4 * p, wasm_v128_load(col + p * ldx));
    } else {
      for (int p = 0; p < k; p++)
        for (int q = 0; q < 4; q++) ap[4 * p + q] = g + q < m ? col[p * ldx + q] : 0.0f;
    }
  }
}

/* cols[r, (kh*KW + kw)*CI + ci] = x[b, oh*sh + kh - pt, ow*sw + kw - pl, ci] (0 outside x)
 * for output pixels n0 .. n0+rows-1 (n = (b*OH + oh)*OW + ow); row stride ldc >= K,
 * columns K .. ldc-1 zeroed (they meet zero-padded filter columns or are dropped). */
static inline __attribute__((always_inline)) void im2col(const float* x, Geo g, int n0, int rows, float* cols, int ldc) {
  int K = g.KH * g.KW * g.CI;
  int run = g.KW * g.CI;
  const float* x_end = x + g.B * g.H * g.W * g.CI;
  /* Pixel coordinates advance by counters: three integer divisions per row
   * cost about as much as copying conv1's 75 floats. */
  int ow = n0 % g.OW;
  int oh = (n0 / g.OW) % g.OH;
  int b = n0 / (g.OW * g.OH);
  for (int r = 0; r < rows; r++, ow = ow + 1 == g.OW ? 0 : ow + 1, oh = ow ? oh : oh + 1 == g.OH ? 0 : oh + 1, b = ow || oh ? b : b + 1) {
    float* dst = cols + r * ldc;
    int iw0 = ow * g.sw - g.pl;
    int inside_w = iw0 >= 0 && iw0 + g.KW <= g.W;
    for (int kh = 0; kh < g.KH; kh++, dst += run) {
      int ih = oh * g.sh + kh - g.pt;
      if (ih < 0 || ih >= g.H) { zero(dst, run); continue; }
      const float* src = x + ((b * g.H + ih) * g.W) * g.CI;
      if (inside_w) {
        /* The rounded-up copy spills into the next run, the next row or the padding columns, all written
         * after this one (and cols is followed by more scratch); it may not read past the end of x. */
        const float* s = src + iw0 * g.CI;
        if (s + run + 3 <= x_end) copy_vec(dst, s, run);
        else copy(dst, s, run);
        continue;
      }
      for (int kw = 0; kw < g.KW; kw++) {
        int iw = iw0 + kw;
        if (iw < 0 || iw >= g.W) zero(dst + kw * g.CI, g.CI);
        else copy(dst + kw * g.CI, src + iw * g.CI, g.CI);
      }
    }
    if (ldc > K) zero(cols + r * ldc + K, ldc - K);
  }
}

/* dx[b, oh*sh + kh - pt, ow*sw + kw - pl, ci] += cols[r, (kh*KW + kw)*CI + ci], inside x only. */
static inline __attribute__((always_inline)) void col2im_add(const float* cols, int ldc, Geo g, int n0, int rows, float* dx) {
  int run = g.KW * g.CI;
  int ow = n0 % g.OW;
  int oh = (n0 / g.OW) % g.OH;
  int b = n0 / (g.OW * g.OH);
  for (int r = 0; r < rows; r++, ow = ow + 1 == g.OW ? 0 : ow + 1, oh = ow ? oh : oh + 1 == g.OH ? 0 : oh + 1, b = ow || oh ? b : b + 1) {
    const float* src = cols + r * ldc;
    int iw0 = ow * g.sw - g.pl;
    int inside_w = iw0 >= 0 && iw0 + g.KW <= g.W;
    for (int kh = 0; kh < g.KH; kh++, src += run) {
      int ih = oh * g.sh + kh - g.pt;
      if (ih < 0 || ih >= g.H) continue;
      float* dst = dx + ((b * g.H + ih) * g.W) * g.CI;
      if (inside_w) { add_into(dst + iw0 * g.CI, src, run); continue; }
      for (int kw = 0; kw < g.KW; kw++) {
        int iw = iw0 + kw;
        if (iw >= 0 && iw < g.W) add_into(dst + iw * g.CI, src + kw * g.CI, g.CI);
      }
    }
  }
}

/* Rows per im2col block: about 96 KiB of columns (L2-resident while the
 * GEMM sweeps it once per 8-column panel), in whole 4-row kernel steps. */
static inline int block_rows(int ldc) {
  int r = 24576 / ldc;
  r = r < 8 ? 8 : r > 256 ? 256 : r;
  return r & ~3;
}

/* Scratch floats conv2d_fwd needs (wp + cols + packed cols). Every scratch function takes the input width W
 * (conv2d_dw's direct path needs buffers of that size). */
EXPORT int conv2d_fwd_scratch(int KH, int KW, int CI, int CO, int W) {
  (void)W;
  int K = KH * KW * CI;
  return K * (round8(CO) + 8) + 2 * block_rows(K) * K;
}

/* y[B, OH, OW, CO] = conv(x[B, H, W, CI], w[KH, KW, CI, CO]). */
EXPORT void conv2d_fwd(const float* x, const float* w, float* y, float* scratch,
                       int B, int H, int W, int CI, int KH, int KW, int CO,
                       int sh, int sw, int pt, int pl, int OH, int OW) {
  if (conv2d_fwd_direct(x, w, y, scratch, B, H, W, CI, KH, KW, CO, sh, sw, pt, pl, OH, OW)) return;
  Geo g = {B, H, W, CI, KH, KW, CO, sh, sw, pt, pl, OH, OW};
  int K = KH * KW * CI;
  int panels = round8(CO) >> 3;
  float* wp = scratch;
  pack_w8(w, K, CO, wp);
  int N = B * OH * OW;
  int mb = block_rows(K);
  float* cols = wp + K * panels * 8;
  float* ap = cols + mb * K;
  for (int n0 = 0; n0 < N; n0 += mb) {
    int rows = N - n0 < mb ? N - n0 : mb;
    im2col(x, g, n0, rows, cols, K);
    pack_a_rows(rows, K, cols, K, ap);
    gemm(rows, CO, K, ap, wp, K * 8, 8, y + n0 * CO, CO, 0);
  }
}

/* Scratch floats conv2d_dw needs: the im2col path's cols block + packed dy^T block + dW^T accumulator, or the
 * direct path's dW^T accumulator + packed dy^T of one output row (OW <= W) + a padded copy of KH input rows. */
EXPORT int conv2d_dw_scratch(int KH, int KW, int CI, int CO, int W) {
  int Kp = round8(KH * KW * CI);
  int nb = block_rows(Kp);
  int cols = nb * Kp + round4(CO) * nb + CO * Kp;
  int direct = CO * KH * direct_run(KW, CI) + round4(CO) * W + KH * W * CI + 8;
  return cols > direct ? cols : direct;
}

/* dw[KH, KW, CI, CO] = sum over pixels of x-window (x) dy, as
 * dW^T[CO, K] = dy^T[CO, N] x cols[N, K] accumulated block by block of N. */
EXPORT void conv2d_dw(const float* x, const float* dy, float* dw, float* scratch,
                      int B, int H, int W, int CI, int KH, int KW, int CO,
                      int sh, int sw, int pt, int pl, int OH, int OW) {
  if (conv2d_dw_direct(x, dy, dw, scratch, B, H, W, CI, KH, KW, CO, sh, sw, pt, pl, OH, OW)) return;
  Geo g = {B, H, W, CI, KH, KW, CO, sh, sw, pt, pl, OH, OW};
  int K = KH * KW * CI;
  int Kp = round8(K);
  int nb = block_rows(Kp);
  float* cols = scratch;
  float* ap = cols + nb * Kp;
  float* acc = ap + round4(CO) * nb;
  int N = B * OH * OW;
  for (int n0 = 0; n0 < N; n0 += nb) {
    int rows = N - n0 < nb ? N - n0 : nb;
    im2col(x, g, n0, rows, cols, Kp);
    pack_a_cols(CO, rows, dy + n0 * CO, CO, ap); /* A = dy^T of this block */
    gemm(CO, Kp, rows, ap, cols, 8, Kp, acc, Kp, n0 > 0);
  }
  if (N == 0) zero(acc, CO * Kp);
  for (int p = 0; p < K; p++)
    for (int co = 0; co < CO; co++) dw[p * CO + co] = acc[co * Kp + p];
}

/* Scratch floats conv2d_dx needs (W^T + dcols block + packed dy block). */
EXPORT int conv2d_dx_scratch(int KH, int KW, int CI, int CO, int W) {
  (void)W;
  int Kp = round8(KH * KW * CI);
  int nb = block_rows(Kp);
  return CO * Kp + nb * Kp + nb * CO;
}

/* dx[B, H, W, CI] = col2im(dy[N, CO] x W^T[CO, K]), block by block of N. */
EXPORT void conv2d_dx(const float* dy, const float* w, float* dx, float* scratch,
                      int B, int H, int W, int CI, int KH, int KW, int CO,
                      int sh, int sw, int pt, int pl, int OH, int OW) {
  Geo g = {B, H, W, CI, KH, KW, CO, sh, sw, pt, pl, OH, OW};
  int K = KH * KW * CI;
  int Kp = round8(K);
  float* wt = scratch;
  for (int co = 0; co < CO; co++) {
    for (int p = 0; p < K; p++) wt[co * Kp + p] = w[p * CO + co];
    for (int p = K; p < Kp; p++) wt[co * Kp + p] = 0.0f;
  }
  int nb = block_rows(Kp);
  float* cols = wt + CO * Kp;
  float* ap = cols + nb * Kp;
  zero(dx, B * H * W * CI);
  int N = B * OH * OW;
  for (int n0 = 0; n0 < N; n0 += nb) {
    int rows = N - n0 < nb ? N - n0 : nb;
    pack_a_rows(rows, CO, dy + n0 * CO, CO, ap);
    gemm(rows, Kp, CO, ap, wt, 8, Kp, cols, Kp, 0);
    col2im_add(cols, Kp, g, n0, rows, dx);
  }
}

/* ---------- dense matrix product (BatchMatMul) ---------- */

/* bp[(j*K + p)*8 + q] = op(B)[p][8j + q], zero past N; op(B) = B [K,N] or, with tb, B^T of B [N,K]. */
static void pack_b(int K, int N, const float* b, int tb, float* bp) {
  for (int j = 0; j < N; j += 8) {
    float* d = bp + j * K;
    int nv = N - j < 8 ? N - j : 8;
    for (int p = 0; p < K; p++, d += 8) {
      if (!tb && nv == 8) {
        wasm_v128_store(d, wasm_v128_load(b + p * N + j));
        wasm_v128_store(d + 4, wasm_v128_load(b + p * N + j + 4));
        continue;
      }
      for (int q = 0; q < 8; q++) d[q] = q < nv ? (tb ? b[(j + q) * K + p] : b[p * N + j + q]) : 0.0f;
    }
  }
}

/* Scratch floats matmul needs (packed A + packed B). */
EXPORT int matmul_scratch(int M, int N, int K) {
  return round4(M) * K + K * round8(N);
}

/* c[M,N] = op(A) x op(B): op(A) = A [M,K] or, with ta, A^T of A [K,M]; op(B) likewise with tb. */
EXPORT void matmul(const float* a, const float* b, float* c, float* scratch, int M, int N, int K, int ta, int tb) {
  float* ap = scratch;
  float* bp = ap + round4(M) * K;
  if (ta) pack_a_cols(M, K, a, M, ap);
  else pack_a_rows(M, K, a, K, ap);
  pack_b(K, N, b, tb, bp);
  gemm(M, N, K, ap, bp, K * 8, 8, c, N, 0);
}
