/*
 * What the convolution kernels share (conv.c, conv-direct.c): the register-blocked SIMD GEMM and its packing,
 * vector copies, a convolution's geometry. Same memory rules as conv.c (pointers in, no data section, no shadow
 * stack: functions called across the two files take scalars, never a struct by value, which clang would pass
 * through the shadow stack). gemm, pack_a_rows and pack_a_cols are defined once, in conv.c.
 */
#ifndef STEERLAB_GEMM_H
#define STEERLAB_GEMM_H
#include <wasm_simd128.h>

#define EXPORT __attribute__((visibility("default")))
/* Shared between this module's files, not exported (the module's exports are the EXPORT functions only). */
#define HIDDEN __attribute__((visibility("hidden")))

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

/* C = A x B (A packed by pack_a_rows or pack_a_cols, B in panels of 8 columns); acc: C += A x B. */
HIDDEN void gemm(int m, int n, int k, const float* ap, const float* b, int bps, int ldb, float* c, int ldc, int acc);
/* Packs m rows of a row-major A (row stride lda) for gemm. */
HIDDEN void pack_a_rows(int m, int k, const float* a, int lda, float* ap);
/* Packs the transpose of a row-major block X[k x m] (row stride ldx): A[i][p] = X[p][i]. */
HIDDEN void pack_a_cols(int m, int k, const float* x, int ldx, float* ap);

static inline int round4(int v) { return (v + 3) & ~3; }
static inline int round8(int v) { return (v + 7) & ~7; }

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

/* Packs w [K, CO] into panels of 8 output channels, [panel][K][8], zero-padded: each panel is one contiguous
 * L1-sized block the kernel streams. */
static inline void pack_w8(const float* w, int K, int CO, float* wp) {
  for (int j = 0; j < round8(CO) >> 3; j++) {
    float* dst = wp + j * K * 8;
    for (int p = 0; p < K; p++) {
      for (int q = 0; q < 8; q++) {
        int co = j * 8 + q;
        dst[p * 8 + q] = co < CO ? w[p * CO + co] : 0.0f;
      }
    }
  }
}

/* The direct paths (conv-direct.c), with the exports' arguments. Each returns 1 when it handled the
 * convolution, 0 when the geometry is not one it takes (the caller then runs the im2col path). */
HIDDEN int conv2d_fwd_direct(const float* x, const float* w, float* y, float* scratch, int B, int H, int W, int CI, int KH, int KW, int CO, int sh, int sw, int pt, int pl, int OH, int OW);
HIDDEN int conv2d_dw_direct(const float* x, const float* dy, float* dw, float* scratch, int B, int H, int W, int CI, int KH, int KW, int CO, int sh, int sw, int pt, int pl, int OH, int OW);

/* Floats of one kernel row of the direct filter gradient: the run rounded up to whole 8-column panels. */
static inline int direct_run(int KW, int CI) { return round8(KW * CI); }

#endif
