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
#include <wasm_simd128.h>

#define EXPORT __attribute__((visibility("default")))

/* ---------- GEMM: C[m x n] (+)= A[m x k] * B[k x n] ----------
 * A is packed in groups of 4 rows: ap[(i/4)*4k + 4p + i%4] = A[i][p], rows
 * past m zero (pack_a_rows / pack_a_cols). One pointer with constant offsets
 * for the 4 broadcasts lets the compiler fold the offsets into the loads; with
 * 4 separate row pointers V8 spent 4-6 integer instructions per k-step on
 * addresses (about 8% slower, measured). B is read in panels of 8 columns:
 * panel j starts at b + j*bps and its row p at + p*ldb (row-major B with
 * padded columns: bps = 8, ldb = row length; packed panels: bps = k*8,
 * ldb = 8); B must be readable (finite) up to column ceil(n/8)*8. C is
 * row-major with row stride ldc; only its first n columns and m rows are written. */

static inline v128_t load_part(const float* c, int nv) {
  v128_t v = wasm_f32x4_splat(0.0f);
  if (nv >= 4) return wasm_v128_load(c);
  if (nv >= 1) v = wasm_f32x4_replace_lane(v, 0, c[0]);
  if (nv >= 2) v = wasm_f32x4_replace_lane(v, 1, c[1]);
  if (nv >= 3) v = wasm_f32x4_replace_lane(v, 2, c[2]);
  return v;
}

static inline void store_part(float* c, v128_t v, int nv) {
  if (nv >= 4) { wasm_v128_store(c, v); return; }
  if (nv >= 1) c[0] = wasm_f32x4_extract_lane(v, 0);
  if (nv >= 2) c[1] = wasm_f32x4_extract_lane(v, 1);
  if (nv >= 3) c[2] = wasm_f32x4_extract_lane(v, 2);
}

static inline void load_row(const float* c, int nv, v128_t* v0, v128_t* v1) {
  *v0 = load_part(c, nv);
  *v1 = nv > 4 ? load_part(c + 4, nv - 4) : wasm_f32x4_splat(0.0f);
}

static inline void store_row(float* c, int nv, v128_t v0, v128_t v1) {
  store_part(c, v0, nv);
  if (nv > 4) store_part(c + 4, v1, nv - 4);
}

/* acc + x * b. Built with -mrelaxed-simd (the "fma" module), one fused multiply-add where the CPU has one
 * (one rounding instead of two: more accurate, and 20-25% faster GEMMs on AMD Zen 4, measured); the plain
 * module, the fallback where the engine lacks relaxed SIMD, multiplies then adds. */
#ifdef __wasm_relaxed_simd__
#define MADD(acc, x, b) wasm_f32x4_relaxed_madd(x, b, acc)
#else
#define MADD(acc, x, b) wasm_f32x4_add(acc, wasm_f32x4_mul(x, b))
#endif

/* 4 rows x 8 columns (mv rows, nv columns valid): 8 accumulators + 2 B
 * vectors + 1 broadcast fit V8's 16 xmm registers; 5 or 6 rows spilled and
 * ran slower (measured). */
static inline void k4x8(int k, const float* ap, const float* b, int ldb,
                        float* c, int ldc, int nv, int mv, int acc) {
  v128_t c00, c01, c10, c11, c20, c21, c30, c31;
  c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = wasm_f32x4_splat(0.0f);
  if (acc) {
    load_row(c, nv, &c00, &c01);
    if (mv > 1) load_row(c + ldc, nv, &c10, &c11);
    if (mv > 2) load_row(c + 2 * ldc, nv, &c20, &c21);
    if (mv > 3) load_row(c + 3 * ldc, nv, &c30, &c31);
  }
  for (int p = 0; p < k; p++) {
    v128_t b0 = wasm_v128_load(b);
    v128_t b1 = wasm_v128_load(b + 4);
    b += ldb;
    v128_t x = wasm_v128_load32_splat(ap);
    c00 = MADD(c00, x, b0); c01 = MADD(c01, x, b1);
    x = wasm_v128_load32_splat(ap + 1);
    c10 = MADD(c10, x, b0); c11 = MADD(c11, x, b1);
    x = wasm_v128_load32_splat(ap + 2);
    c20 = MADD(c20, x, b0); c21 = MADD(c21, x, b1);
    x = wasm_v128_load32_splat(ap + 3);
    c30 = MADD(c30, x, b0); c31 = MADD(c31, x, b1);
    ap += 4;
  }
  store_row(c, nv, c00, c01);
  if (mv > 1) store_row(c + ldc, nv, c10, c11);
  if (mv > 2) store_row(c + 2 * ldc, nv, c20, c21);
  if (mv > 3) store_row(c + 3 * ldc, nv, c30, c31);
}

static void gemm(int m, int n, int k, const float* ap, const float* b, int bps, int ldb,
                 float* c, int ldc, int acc) {
  for (int j = 0; j < n; j += 8) {
    int nv = n - j < 8 ? n - j : 8;
    const float* bj = b + (j >> 3) * bps;
    for (int i = 0; i < m; i += 4) k4x8(k, ap + i * k, bj, ldb, c + i * ldc + j, ldc, nv, m - i < 4 ? m - i : 4, acc);
  }
}

static inline int round4(int v) { return (v + 3) & ~3; }

/* Packs m rows of a row-major A (row stride lda) for gemm: 4x4 blocks transposed with shuffles. */
static void pack_a_rows(int m, int k, const float* a, int lda, float* ap) {
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
static void pack_a_cols(int m, int k, const float* x, int ldx, float* ap) {
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

/* ---------- copies ---------- */

static inline void copy(float* dst, const float* src, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dst + i, wasm_v128_load(src + i));
  for (; i < n; i++) dst[i] = src[i];
}

/* Copies n floats rounded up to whole vectors: up to 3 floats past both ends are read and written (callers
 * make sure those exist and are rewritten afterwards). conv1's 15-float runs take 4 vector moves instead of
 * 3 vector and 3 scalar ones. */
static inline void copy_vec(float* dst, const float* src, int n) {
  for (int i = 0; i < n; i += 4) wasm_v128_store(dst + i, wasm_v128_load(src + i));
}

static inline void zero(float* dst, int n) {
  int i = 0;
  v128_t z = wasm_f32x4_splat(0.0f);
  for (; i + 4 <= n; i += 4) wasm_v128_store(dst + i, z);
  for (; i < n; i++) dst[i] = 0.0f;
}

static inline void add_into(float* dst, const float* src, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dst + i, wasm_f32x4_add(wasm_v128_load(dst + i), wasm_v128_load(src + i)));
  for (; i < n; i++) dst[i] += src[i];
}

/* Geometry of one convolution, in the order the exports take it. */
typedef struct {
  int B, H, W, CI, KH, KW, CO, sh, sw, pt, pl, OH, OW;
} Geo;

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

static inline int round8(int v) { return (v + 7) & ~7; }

/* Rows per im2col block: about 96 KiB of columns (L2-resident while the
 * GEMM sweeps it once per 8-column panel), in whole 4-row kernel steps. */
static inline int block_rows(int ldc) {
  int r = 24576 / ldc;
  r = r < 8 ? 8 : r > 256 ? 256 : r;
  return r & ~3;
}

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

/* conv2d_fwd_direct with k3x12 (CO a multiple of 12, w packed [panel][K][12]): groups of 3 pixels, the last
 * group the row's last 3. */
static void conv2d_fwd_direct12(DirectKernel12 kern, const float* x, const float* wp, float* y, Geo g) {
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
static void conv2d_fwd_direct(DirectKernel kern, const float* x, const float* wp, float* y, Geo g) {
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
  Geo g = {B, H, W, CI, KH, KW, CO, sh, sw, pt, pl, OH, OW};
  int K = KH * KW * CI;
  DirectKernel12 kern12 = direct_ok(g) && CO % 12 == 0 ? direct_kernel12(sw * CI) : 0;
  if (kern12) {
    /* w [K, CO] as panels of 12 output channels, [panel][K][12]. */
    for (int j = 0; j < CO / 12; j++)
      for (int p = 0; p < K; p++) copy(scratch + (j * K + p) * 12, w + p * CO + j * 12, 12);
    conv2d_fwd_direct12(kern12, x, scratch, y, g);
    return;
  }
  int panels = round8(CO) >> 3;
  /* Pack w [K, CO] into panels of 8 output channels, [panel][K][8], zero-padded:
   * each panel is one contiguous L1-sized block the kernel streams. */
  float* wp = scratch;
  for (int j = 0; j < panels; j++) {
    float* dst = wp + j * K * 8;
    for (int p = 0; p < K; p++) {
      for (int q = 0; q < 8; q++) {
        int co = j * 8 + q;
        dst[p * 8 + q] = co < CO ? w[p * CO + co] : 0.0f;
      }
    }
  }
  DirectKernel kern = direct_ok(g) ? direct_kernel(sw * CI) : 0;
  if (kern) {
    conv2d_fwd_direct(kern, x, wp, y, g);
    return;
  }
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

/* Floats of one kernel row of the direct filter gradient: the run rounded up to whole 8-column panels. */
static inline int direct_run(int KW, int CI) { return round8(KW * CI); }

/* Scratch floats conv2d_dw needs: the im2col path's cols block + packed dy^T block + dW^T accumulator, or the
 * direct path's dW^T accumulator + packed dy^T of one output row (OW <= W) + a padded copy of KH input rows. */
EXPORT int conv2d_dw_scratch(int KH, int KW, int CI, int CO, int W) {
  int Kp = round8(KH * KW * CI);
  int nb = block_rows(Kp);
  int cols = nb * Kp + round4(CO) * nb + CO * Kp;
  int direct = CO * KH * direct_run(KW, CI) + round4(CO) * W + KH * W * CI + 8;
  return cols > direct ? cols : direct;
}

/* dW without im2col: dW^T[CO, Kd] (kernel row kh's columns at kh*rund, rund = the run rounded up to 8)
 * accumulated output row by output row, B read straight from x (pixel after pixel S = sw*CI floats apart).
 * Panels read up to rund - run floats past a window (the products land in dropped columns); where that would
 * pass the end of x (the last rows), the rows are copied, padded, first. */
static void conv2d_dw_direct(const float* x, const float* dy, float* dw, float* scratch, Geo g) {
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

/* dw[KH, KW, CI, CO] = sum over pixels of x-window (x) dy, as
 * dW^T[CO, K] = dy^T[CO, N] x cols[N, K] accumulated block by block of N. */
EXPORT void conv2d_dw(const float* x, const float* dy, float* dw, float* scratch,
                      int B, int H, int W, int CI, int KH, int KW, int CO,
                      int sh, int sw, int pt, int pl, int OH, int OW) {
  Geo g = {B, H, W, CI, KH, KW, CO, sh, sw, pt, pl, OH, OW};
  if (direct_ok(g)) {
    conv2d_dw_direct(x, dy, dw, scratch, g);
    return;
  }
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
