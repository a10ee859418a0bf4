/*
 * The direct convolution paths (conv.c's exports try them first): unpadded layers with long output rows read
 * the input in place instead of im2col panels. Same memory rules as conv.c.
 */
#include "gemm.h"

/* ---------- direct paths (no im2col) for unpadded convolutions ----------
 * Without padding every output pixel's window lies inside x, and the windows of pixels next to each other
 * in one output row start S = sw*CI floats apart: x itself is the im2col matrix, read with constant strides.
 * Copying it into column panels (im2col, then packing) took 20-45% of PilotNet's forward and filter-gradient
 * convolutions (conv1: 2.8 of 6.3 ms at batch 16, measured). The direct paths add the same products in the
 * same order as the im2col paths, so they give the same bits. */

/* Whether the direct paths apply: no padding, every window inside x, and output rows of at least 32 pixels.
 * Measured at batch 16 (bit-identical results either way): direct is 25% faster on PilotNet's conv1 (rows of
 * 98) and 7% on conv2 (47), 1-14% slower on conv3-5 (rows of 22, 20, 18), where a row's last short group of 4
 * pixels is recomputed and the filter gradient's products run in short stretches of one row each. */
static inline int direct_ok(Geo g) {
  return g.pt == 0 && g.pl == 0 && g.OW >= 32 && (g.OH - 1) * g.sh + g.KH <= g.H && (g.OW - 1) * g.sw + g.KW <= g.W;
}

/* 4 pixels of one output row x 8 output channels, A read straight from x (pixel i's window at a + i*S, its
 * kernel row kh at + kh*rs), B a packed weight panel [K][8]. S is a compile-time constant (one instance per
 * layer shape below), so the 4 broadcasts are one pointer with constant offsets, as in k4x8. */
#define K4X8_DIRECT(S)                                                                                       \
  static void k4x8_direct_##S(const float* a, int rs, int KH, int run, const float* b, float* c, int ldc, int nv) { \
    v128_t c00, c01, c10, c11, c20, c21, c30, c31;                                                          \
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = wasm_f32x4_splat(0.0f);                                  \
    for (int kh = 0; kh < KH; kh++, a += rs) {                                                              \
      const float* ap = a;                                                                                  \
      for (int q = 0; q < run; q++, ap++) {                                                                 \
        v128_t b0 = wasm_v128_load(b);                                                                      \
        v128_t b1 = wasm_v128_load(b + 4);                                                                  \
        b += 8;                                                                                             \
        v128_t x = wasm_v128_load32_splat(ap);                                                              \
        c00 = MADD(c00, x, b0); c01 = MADD(c01, x, b1);                                                     \
        x = wasm_v128_load32_splat(ap + (S));                                                               \
        c10 = MADD(c10, x, b0); c11 = MADD(c11, x, b1);                                                     \
        x = wasm_v128_load32_splat(ap + 2 * (S));                                                           \
        c20 = MADD(c20, x, b0); c21 = MADD(c21, x, b1);                                                     \
        x = wasm_v128_load32_splat(ap + 3 * (S));                                                           \
        c30 = MADD(c30, x, b0); c31 = MADD(c31, x, b1);                                                     \
      }                                                                                                     \
    }                                                                                                       \
    store_row(c, nv, c00, c01);                                                                             \
    store_row(c + ldc, nv, c10, c11);                                                                       \
    store_row(c + 2 * ldc, nv, c20, c21);                                                                   \
    store_row(c + 3 * ldc, nv, c30, c31);                                                                   \
  }

/* PilotNet's layers: S = 6 (conv1: 3 channels, stride 2), 48 (conv2: 24 x 2; conv4: 48 x 1), 72 (conv3), 64 (conv5). */
K4X8_DIRECT(6)
K4X8_DIRECT(48)
K4X8_DIRECT(64)
K4X8_DIRECT(72)

typedef void (*DirectKernel)(const float*, int, int, int, const float*, float*, int, int);

static DirectKernel direct_kernel(int S) {
  switch (S) {
    case 6: return k4x8_direct_6;
    case 48: return k4x8_direct_48;
    case 64: return k4x8_direct_64;
    case 72: return k4x8_direct_72;
    default: return 0;
  }
}

/* 3 pixels x 12 output channels, for layers whose channels come in twelves (PilotNet's 24, 36, 48): 9
 * accumulators instead of 8 leave the fused multiply-adds more room than their latency (51 against 48
 * GFLOP/s on the same work, measured), and 36 channels fill 3 panels of 12 where 5 panels of 8 computed 40.
 * Each output is still one multiply-add chain over the window in the same order: the same bits. */
#define K3X12_DIRECT(S)                                                                                       \
  static void k3x12_direct_##S(const float* a, int rs, int KH, int run, const float* b, float* c, int ldc) {   \
    v128_t c00, c01, c02, c10, c11, c12, c20, c21, c22;                                                       \
    c00 = c01 = c02 = c10 = c11 = c12 = c20 = c21 = c22 = wasm_f32x4_splat(0.0f);                             \
    for (int kh = 0; kh < KH; kh++, a += rs) {                                                                \
      const float* ap = a;                                                                                    \
      for (int q = 0; q < run; q++, ap++) {                                                                   \
        v128_t b0 = wasm_v128_load(b);                                                                        \
        v128_t b1 = wasm_v128_load(b + 4);                                                                    \
        v128_t b2 = wasm_v128_load(b + 8);                                                                    \
        b += 12;                                                                                              \
        v128_t x = wasm_v128_load32_splat(ap);                                                                \
        c00 = MADD(c00, x, b0); c01 = MADD(c01, x, b1); c02 = MADD(c02, x, b2);                               \
        x = wasm_v128_load32_splat(ap + (S));                                                                 \
        c10 = MADD(c10, x, b0); c11 = MADD(c11, x, b1); c12 = MADD(c12, x, b2);                               \
        x = wasm_v128_load32_splat(ap + 2 * (S));                                                             \
        c20 = MADD(c20, x, b0); c21 = MADD(c21, x, b1); c22 = MADD(c22, x, b2);                               \
      }                                                                                                       \
    }                                                                                                         \
    wasm_v128_store(c, c00); wasm_v128_store(c + 4, c01); wasm_v128_store(c + 8, c02);                        \
    wasm_v128_store(c + ldc, c10); wasm_v128_store(c + ldc + 4, c11); wasm_v128_store(c + ldc + 8, c12);      \
    wasm_v128_store(c + 2 * ldc, c20); wasm_v128_store(c + 2 * ldc + 4, c21); wasm_v128_store(c + 2 * ldc + 8, c22); \
  }

K3X12_DIRECT(6)
K3X12_DIRECT(48)
K3X12_DIRECT(64)
K3X12_DIRECT(72)

typedef void (*DirectKernel12)(const float*, int, int, int, const float*, float*, int);

static DirectKernel12 direct_kernel12(int S) {
  switch (S) {
    case 6: return k3x12_direct_6;
    case 48: return k3x12_direct_48;
    case 64: return k3x12_direct_64;
    case 72: return k3x12_direct_72;
    default: return 0;
  }
}

/* fwd_direct8 with k3x12 (CO a multiple of 12, w packed [panel][K][12]): groups of 3 pixels, the last
 * group the row's last 3. */
static void fwd_direct12(DirectKernel12 kern, const float* x, const float* wp, float* y, Geo g) {
  int K = g.KH * g.KW * g.CI;
  int run = g.KW * g.CI;
  int rs = g.W * g.CI;
  int S = g.sw * g.CI;
  int panels = g.CO / 12;
  for (int b = 0; b < g.B; b++) {
    for (int oh = 0; oh < g.OH; oh++) {
      const float* xrow = x + ((b * g.H + oh * g.sh) * g.W) * g.CI;
      float* yrow = y + ((b * g.OH + oh) * g.OW) * g.CO;
      for (int j = 0; j < panels; j++) {
        const float* bj = wp + j * K * 12;
        for (int ow = 0; ow < g.OW; ow += 3) {
          int o = ow + 3 <= g.OW ? ow : g.OW - 3;
          kern(xrow + o * S, rs, g.KH, run, bj, yrow + o * g.CO + j * 12, g.CO);
        }
      }
    }
  }
}

/* y = conv(x, w) without im2col, wp the packed weight panels. Each output row in groups of 4 pixels; a last
 * short group is computed as the row's last 4 pixels (the overlap is written twice with the same values). */
static void fwd_direct8(DirectKernel kern, const float* x, const float* wp, float* y, Geo g) {
  int K = g.KH * g.KW * g.CI;
  int run = g.KW * g.CI;
  int rs = g.W * g.CI;
  int S = g.sw * g.CI;
  int panels = round8(g.CO) >> 3;
  for (int b = 0; b < g.B; b++) {
    for (int oh = 0; oh < g.OH; oh++) {
      const float* xrow = x + ((b * g.H + oh * g.sh) * g.W) * g.CI;
      float* yrow = y + ((b * g.OH + oh) * g.OW) * g.CO;
      for (int j = 0; j < panels; j++) {
        int nv = g.CO - j * 8 < 8 ? g.CO - j * 8 : 8;
        const float* bj = wp + j * K * 8;
        for (int ow = 0; ow < g.OW; ow += 4) {
          int o = ow + 4 <= g.OW ? ow : g.OW - 4;
          kern(xrow + o * S, rs, g.KH, run, bj, yrow + o * g.CO + j * 8, g.CO, nv);
        }
      }
    }
  }
}

/* dW without im2col: dW^T[CO, Kd] (kernel row kh's columns at kh*rund, rund = the run rounded up to 8)
 * accumulated output row by output row, B read straight from x (pixel after pixel S = sw*CI floats apart).
 * Panels read up to rund - run floats past a window (the products land in dropped columns); where that would
 * pass the end of x (the last rows), the rows are copied, padded, first. */
static void dw_direct(const float* x, const float* dy, float* dw, float* scratch, Geo g) {
  int run = g.KW * g.CI;
  int rund = direct_run(g.KW, g.CI);
  int Kd = g.KH * rund;
  int rs = g.W * g.CI;
  int S = g.sw * g.CI;
  float* acc = scratch;
  float* ap = acc + g.CO * Kd;
  float* pad = ap + round4(g.CO) * g.OW;
  const float* x_end = x + g.B * g.H * rs;
  zero(acc, g.CO * Kd);
  for (int b = 0; b < g.B; b++) {
    for (int oh = 0; oh < g.OH; oh++) {
      const float* xrow = x + (b * g.H + oh * g.sh) * rs;
      if (xrow + (g.KH - 1) * rs + (g.OW - 1) * S + rund > x_end) {
        copy(pad, xrow, g.KH * rs);
        zero(pad + g.KH * rs, 8);
        xrow = pad;
      }
      pack_a_cols(g.CO, g.OW, dy + (b * g.OH + oh) * g.OW * g.CO, g.CO, ap);
      for (int kh = 0; kh < g.KH; kh++) gemm(g.CO, rund, g.OW, ap, xrow + kh * rs, 8, S, acc + kh * rund, Kd, 1);
    }
  }
  for (int kh = 0; kh < g.KH; kh++)
    for (int q = 0; q < run; q++)
      for (int co = 0; co < g.CO; co++) dw[(kh * run + q) * g.CO + co] = acc[co * Kd + kh * rund + q];
}

HIDDEN int conv2d_dw_direct(const float* x, const float* dy, float* dw, float* scratch, int B, int H, int W, int CI, int KH, int KW, int CO, int sh, int sw, int pt, int pl, int OH, int OW) {
  Geo g = {B, H, W, CI, KH, KW, CO, sh, sw, pt, pl, OH, OW};
  if (!direct_ok(g)) return 0;
  dw_direct(x, dy, dw, scratch, g);
  return 1;
}

HIDDEN int conv2d_fwd_direct(const float* x, const float* w, float* y, float* scratch, int B, int H, int W, int CI, int KH, int KW, int CO, int sh, int sw, int pt, int pl, int OH, int OW) {
  Geo g = {B, H, W, CI, KH, KW, CO, sh, sw, pt, pl, OH, OW};
  if (!direct_ok(g)) return 0;
  int K = KH * KW * CI;
  DirectKernel12 kern12 = CO % 12 == 0 ? direct_kernel12(sw * CI) : 0;
  if (kern12) {
    /* w [K, CO] as panels of 12 output channels, [panel][K][12]. */
    for (int j = 0; j < CO / 12; j++)
      for (int p = 0; p < K; p++) copy(scratch + (j * K + p) * 12, w + p * CO + j * 12, 12);
    fwd_direct12(kern12, x, scratch, y, g);
    return 1;
  }
  DirectKernel kern = direct_kernel(sw * CI);
  if (!kern) return 0;
  pack_w8(w, K, CO, scratch);
  fwd_direct8(kern, x, scratch, y, g);
  return 1;
}
