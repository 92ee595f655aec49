/* amx_bf16_probe.c — would AMX's tile product (tdpbf16ps) serve cllm_gemm_bf16? Two questions, on a CPU with
 * AMX-BF16 under Linux (which must grant the tile state: arch_prctl ARCH_REQ_XCOMP_PERM):
 *   1. bits: 16×16 tiles of random bf16 pairs through tdpbf16ps, each lane compared with models of the sum,
 *      the first being vdpbf16ps's (odd k first, two fmaf rounding to nearest even per pair, denormal inputs read
 *      as zero, denormal sums flushed: cllm_gemm_bf16's contract at every kernel level);
 *      and, on ordinary inputs (whose sums in double are exact), how many ulps tdpbf16ps lands from the exactly
 *      rounded sum;
 *   2. rate: 4 independent accumulator tiles, the same A and B, best of 3 (16×16×32 multiply-adds each).
 *     cc -O2 -mamx-tile -mamx-bf16 bench/amx_bf16_probe.c -o amx_probe -lm && ./amx_probe
 * Not built by make: only a question for a future kernel (docs/performance.md, "A Xeon with AVX512_BF16"). */
#define _GNU_SOURCE
#include <float.h>
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} __attribute__((packed)) tile_config;

static float from_bits(uint32_t x) { float f; memcpy(&f, &x, 4); return f; }
static uint32_t to_bits(float f) { uint32_t x; memcpy(&x, &f, 4); return x; }
static float flush(float x) { return fabsf(x) < FLT_MIN ? copysignf(0.0f, x) : x; }
static float bf16(uint32_t half) { return flush(from_bits(half << 16)); } /* denormal inputs read as zero */

static uint64_t state = 88172645463325252ull;
static uint64_t next(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; }
/* a random bf16: mode 0 ordinary (|x| near 1), 1 products near FLT_MIN, 2 any finite exponent */
static uint32_t random_bf16(int mode) {
    uint32_t e = mode == 0 ? 119 + (uint32_t)(next() % 16) : mode == 1 ? 61 + (uint32_t)(next() % 10)
                                                                     : 1 + (uint32_t)(next() % 253);
    return (uint32_t)(next() & 1) << 15 | e << 7 | (uint32_t)(next() & 0x7f);
}

enum { MODELS = 5 };
static const char *const model_names[MODELS] = {
    "vdpbf16ps: odd k first, 2 RNE fmaf, FTZ", "even k first", "no flush of sums",
    "each pair exact, one RNE add", "all 16 pairs exact, one RNE",
};

int main(void) {
    if (syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XFEATURE_XTILEDATA */)) {
        perror("amx_probe: arch_prctl (no AMX, or the kernel does not grant it)");
        return 2;
    }
    tile_config cfg = {.palette = 1};
    for (int t = 0; t < 8; t++) cfg.colsb[t] = 64, cfg.rows[t] = 16;
    _tile_loadconfig(&cfg);
    static uint32_t A[16][16], B[16][16]; /* pairs: the even k in the low half, as cllm_gemm_bf16's panels */
    static float C0[16][16], C[16][16];
    long lanes[3] = {0}, miss[3][MODELS] = {{0}}, ulps[7] = {0}; /* -3 (or fewer) ... +3 (or more) */
    for (int trial = 0; trial < 6000; trial++) {
        int mode = trial % 3;
        for (int i = 0; i < 16; i++)
            for (int j = 0; j < 16; j++) {
                A[i][j] = random_bf16(mode) | random_bf16(mode) << 16;
                B[i][j] = random_bf16(mode) | random_bf16(mode) << 16;
                C0[i][j] = trial % 2 ? 0.0f : (float)((int)(next() % 2001) - 1000) * (mode == 1 ? 1e-38f : 1.0f);
            }
        memcpy(C, C0, sizeof C);
        _tile_loadd(0, C, 64);
        _tile_loadd(1, A, 64);
        _tile_loadd(2, B, 64);
        _tile_dpbf16ps(0, 1, 2);
        _tile_stored(0, C, 64);
        for (int m = 0; m < 16; m++)
            for (int n = 0; n < 16; n++) {
                float r[MODELS];
                double exact = flush(C0[m][n]);
                for (int v = 0; v < MODELS; v++) r[v] = v == 2 ? C0[m][n] : flush(C0[m][n]);
                for (int k = 0; k < 16; k++) {
                    float ae = bf16(A[m][k] & 0xffff), ao = bf16(A[m][k] >> 16);
                    float be = bf16(B[k][n] & 0xffff), bo = bf16(B[k][n] >> 16);
                    r[0] = flush(fmaf(ae, be, flush(fmaf(ao, bo, r[0]))));
                    r[1] = flush(fmaf(ao, bo, flush(fmaf(ae, be, r[1]))));
                    r[2] = fmaf(ae, be, fmaf(ao, bo, r[2]));
                    r[3] = flush((float)((double)r[3] + ((double)ae * be + (double)ao * bo))); /* products exact */
                    exact += (double)ae * be + (double)ao * bo; /* exact for ordinary inputs (mode 0) only */
                }
                r[4] = flush((float)exact);
                if (mode == 0) { /* signed distance in ulps, away from zero positive */
                    long d = (long)(int32_t)to_bits(C[m][n]) - (long)(int32_t)to_bits(r[4]);
                    d = C[m][n] < 0 ? -d : d;
                    ulps[(d < -3 ? -3 : d > 3 ? 3 : d) + 3]++;
                }
                lanes[mode]++;
                for (int v = 0; v < MODELS; v++) miss[mode][v] += to_bits(r[v]) != to_bits(C[m][n]);
            }
    }
    printf("lanes differing from each model (ordinary / near FLT_MIN / wide exponents; of %ld each):\n", lanes[0]);
    for (int v = 0; v < MODELS; v++)
        printf("  %-42s %ld / %ld / %ld\n", model_names[v], miss[0][v], miss[1][v], miss[2][v]);
    printf("tdpbf16ps - the exactly rounded sum, ordinary inputs, in ulps (-3 and 3: or more):");
    for (int i = 0; i < 7; i++) printf(" %+d: %ld", i - 3, ulps[i]);
    printf("\n");
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
        const long n = 4000000;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long i = 0; i < n; i++) {
            _tile_dpbf16ps(4, 1, 2);
            _tile_dpbf16ps(5, 1, 2);
            _tile_dpbf16ps(6, 1, 2);
            _tile_dpbf16ps(7, 1, 2);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double r = 4.0 * n * 16 * 16 * 32 * 2 / ((double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
        if (r * 1e-9 > best) best = r * 1e-9;
    }
    printf("tdpbf16ps peak, one core: %.1f GFLOP/s\n", best);
    _tile_release();
    return 0;
}
