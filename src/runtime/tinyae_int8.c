/*
 * tinyae_int8.c - int8 inference for the freestanding tinyae runtime. The
 * number scheme and the exact requantization rule are in tinyae.h (int8
 * section); src/quantize holds an independent C++ version of the same math,
 * and tests require the two to agree bit for bit. Ships with tinyae.h and
 * tinyae_status.c (the status strings), without tinyae_f32.c.
 *
 * Constraints: C99 (also valid C++), -ffreestanding, no malloc, no stdio, no
 * global state; only <stdint.h>, <stddef.h> and <math.h>, plus <arm_acle.h>
 * on cores with the DSP extension and <arm_mve.h> on cores with Helium. The caller owns every buffer.
 *
 * Speed: every weight is used once per inference, so the floor is about one
 * sign extension and one multiply-accumulate per weight. A layer's int8 input
 * minus the input zero point is widened, a chunk of up to
 * TINYAE_I8_CHUNK_INPUTS inputs at a time, into scratch as int16 pairs packed
 * in 32-bit words: for each group of four inputs x0..x3 the two words hold
 * (x0, x2) and (x1, x3). That is the order SXTB16 produces from a word of four
 * weights -- SXTB16 w gives (w0, w2) and SXTB16 w ROR #8 gives (w1, w3) -- so
 * one SMLAD per two weights adds w0*x0 + w2*x2 to an int32 sum, and the
 * bytes of a weight word need no reordering. The weights come in tiles of
 * four rows by four inputs (tinyae.h, weight layout): the words four rows
 * need for four inputs are adjacent. With the DSP extension
 * (Cortex-M4/M7/M33/M55) four output rows are computed at once, a chunk of
 * inputs per loop trip, in a function written in assembly
 * (tinyae_rows4_dsp): it is tuned for cycles, not instructions -- one run of
 * six single loads per tile, which the Cortex-M4 pipelines at one cycle each
 * after the first, instead of LDRD/LDM, which cost 1 + N
 * (docs/cycle-model.md) -- and requantizes each quad of rows while its sums
 * are in registers. Elsewhere,
 * for the rows and inputs past the last whole quad and block, or with
 * TINYAE_NO_ASM defined, portable C reads the same packed words and tiles.
 * With Helium (MVE, Cortex-M55) nothing is widened: tinyae_rows_mve
 * multiplies 16 int8 weights by 16 int8 inputs per VMLADAV and takes the
 * zero point out afterwards.
 * Every path adds exactly the same integers in int32 (no overflow is
 * possible, see tinyae.h, so the order of the additions does not matter) and
 * requantizes with the same integer rule (the kernel's assembly computes
 * tinyae_rescale's usual case, and hands the rest to it), so they agree bit
 * for bit.
 *
 * RAM: widening a whole 784-input layer would take 1,568 bytes, twice the
 * float32 runtime's whole scratch. The rows of a layer are therefore taken in
 * blocks of TINYAE_I8_BLOCK_ROWS whose int32 sums live in scratch, and each
 * block walks the input chunk by chunk, widening every chunk anew (a
 * single-chunk input is widened once per layer). Widening costs about 1.6
 * cycles per input on the Cortex-M4, so re-widening per block of 64 rows
 * adds about 1.6/64 cycle per multiply-accumulate; between chunks the
 * kernel stores and reloads a quad's four sums (docs/int8.md).
 */
#include "tinyae.h"

#include <math.h>

#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && !defined(TINYAE_NO_ASM)
#define TINYAE_I8_DSP 1
#include <arm_acle.h>
#else
#define TINYAE_I8_DSP 0
#endif

/* The DSP kernel requantizes the outputs itself, except at -Os, where the
 * sums go through scratch and the C loop requantizes them: 500 bytes less. */
#if TINYAE_I8_DSP && !defined(__OPTIMIZE_SIZE__)
#define TINYAE_I8_KERNEL_REQUANT 1
#else
#define TINYAE_I8_KERNEL_REQUANT 0
#endif

#if defined(__ARM_FEATURE_MVE) && defined(__GNUC__) && !defined(TINYAE_NO_ASM)
#define TINYAE_I8_MVE 1
#include <arm_mve.h>
#else
#define TINYAE_I8_MVE 0
#endif

/* ------------------------------------------------------ requantization -- */

/* The usual case of a branch, so that the compiler lays it out without a
 * taken branch (2 cycles of pipeline refill on the Cortex-M4). */
#if defined(__GNUC__)
#define TINYAE_USUALLY(condition) __builtin_expect(!!(condition), 1)
#else
#define TINYAE_USUALLY(condition) (condition)
#endif

/* floor(v / 2^k) for k in [0, 31]. C99 leaves >> of a negative number to the
 * implementation; written this way it is defined, and GCC and Clang still
 * emit one arithmetic shift. */
static inline int32_t tinyae_floor_shift(int32_t v, uint32_t k)
{
    return v < 0 ? ~(~v >> k) : v >> k;
}

/* floor((acc * multiplier + 2^(n-1)) / 2^n) with n = shift clamped to
 * [1, 62], saturated to [-2^30, 2^30] (wider than any int8 result needs). */
static inline int32_t tinyae_rescale(int32_t acc, int32_t multiplier, uint32_t shift)
{
    /* |acc * multiplier| <= 2^62: exact in int64. */
    const int64_t product = (int64_t)acc * (int64_t)multiplier;
    const uint64_t bits = (uint64_t)product; /* its two's complement bits */
    const uint32_t k = shift - 33u;          /* wraps to a large number when shift < 33 */
    if (TINYAE_USUALLY(k <= 29u)) {
        /* The usual case, n in [33, 62] (real multiplier below 1/8): only the
         * high word of the product matters. With product = high * 2^32 + low,
         * low in [0, 2^32), and k = n - 33:
         *   floor((product + 2^(n-1)) / 2^n) = floor((floor(high / 2^k) + 1) / 2)
         * (floor(floor(v) / m) = floor(v / m) for an integer m > 0, and the
         * rounding term 2^(n-1) is 2^(k+32): dividing by 2^32, then by 2^k,
         * leaves 1 to add before the last halving). */
        const uint32_t high_bits = (uint32_t)(bits >> 32);
        const int32_t high = high_bits >= 0x80000000u ? -(int32_t)(~high_bits) - 1 : (int32_t)high_bits;
        return tinyae_floor_shift(tinyae_floor_shift(high, k) + 1, 1u);
    } else {
        /* n in [1, 32] (real multiplier of 1/8 or more), or an out-of-range
         * shift clamped: the whole 64-bit value. Adding the rounding term
         * keeps it inside int64 (<= 2^62 + 2^61); the floor division is done
         * in uint64 on the value offset by 2^62, which is then in [0, 2^64),
         * and the offset removed after. */
        const uint32_t n = shift < 1u ? 1u : (shift > 62u ? 62u : shift);
        const uint64_t offset = (uint64_t)(product + ((int64_t)1 << (n - 1u))) + ((uint64_t)1 << 62);
        const int64_t y = (int64_t)(offset >> n) - ((int64_t)1 << (62u - n));
        return y < -(1 << 30) ? -(1 << 30) : (y > (1 << 30) ? (1 << 30) : (int32_t)y);
    }
}

int8_t tinyae_requantize_i8(int32_t acc, int32_t multiplier, uint8_t shift, int8_t zero_point, int8_t clamp_min,
                            int8_t clamp_max)
{
    int32_t y = tinyae_rescale(acc, multiplier, shift) + zero_point;
    y = y < clamp_min ? clamp_min : y;
    y = y > clamp_max ? clamp_max : y;
    return (int8_t)y;
}

/* A layer's requantization constants, copied into a local so that the int8
 * stores to the output (which may alias anything) do not force reloads. */
typedef struct {
    const int32_t *multiplier; /* (out_size) */
    const uint8_t *shift;      /* (out_size) */
    int32_t zero_point;        /* requant_zero_point */
    int32_t floor;             /* lowest result: the output zero point for relu, else -128 */
} tinyae_requant_i8;

/* Output o of a layer from its sum: tinyae_requantize_i8 with clamp
 * [floor, 127]. (The table of a sigmoid/tanh layer is applied afterwards, in a
 * pass of its own, so this per-output step has no branch on it.) */
static inline int8_t tinyae_output_i8(const tinyae_requant_i8 *rq, uint32_t o, int32_t acc)
{
    int32_t y = tinyae_rescale(acc, rq->multiplier[o], rq->shift[o]) + rq->zero_point;
#if TINYAE_I8_DSP
    y = __ssat(y, 8); /* to [-128, 127] in one instruction */
#else
    y = y < -128 ? -128 : (y > 127 ? 127 : y);
#endif
    return (int8_t)(y < rq->floor ? rq->floor : y);
}

/* -------------------------------------------------------- widened input -- */

/* The two int16 halves of a packed word, sign-extended without relying on
 * implementation-defined conversions. */
static int32_t tinyae_low16(uint32_t word)
{
    return (int32_t)((word & 0xFFFFu) ^ 0x8000u) - 0x8000; /* compilers emit one sign extension */
}

static int32_t tinyae_high16(uint32_t word)
{
    return tinyae_low16(word >> 16);
}

#if TINYAE_I8_DSP
/* SXTAB16 a, b, ROR #8: a + (b1, b3) in one instruction; GCC does not fold
 * the rotation into __sxtab16's operand. */
static inline uint32_t tinyae_sxtab16_ror8(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
#endif

/* Widens x - zero_point into packed int16 pairs: for group g of four inputs,
 * wide[2g] = (x[4g] - zp, x[4g+2] - zp) and wide[2g+1] = (x[4g+1] - zp,
 * x[4g+3] - zp), low half first; inputs missing from a last partial group
 * are 0. x: (n) int8, wide: (2 * ceil(n / 4)) words. The words are written as
 * uint32_t into the caller's int32_t scratch, an aliasing C permits. */
static void tinyae_widen_i8(const int8_t *x, uint32_t n, int8_t zero_point, uint32_t *wide)
{
    uint32_t g = 0;
#if TINYAE_I8_DSP
    /* SXTAB16 adds bytes 0 and 2 of its second operand, sign-extended, to the
     * two halves of its first: (-zp, -zp) + (x0, x2); the word shifted right
     * by 8 gives (x1, x3). */
    const uint32_t minus_zp = ((uint32_t)(-(int32_t)zero_point) & 0xFFFFu) * 0x00010001u;
    const uint32_t groups = n / 4u;
#if !defined(__OPTIMIZE_SIZE__)
    const int8_t *from = x;
    uint32_t *to = wide;
    /* Four groups a trip: one run of four loads, stores with immediate
     * offsets, a quarter of the loop's branches. */
    for (; g + 4u <= groups; g += 4u) {
        uint32_t x0, x1, x2, x3; /* x[4g..4g+15]; the input may have any alignment */
        __builtin_memcpy(&x0, from, sizeof x0);
        __builtin_memcpy(&x1, from + 4, sizeof x1);
        __builtin_memcpy(&x2, from + 8, sizeof x2);
        __builtin_memcpy(&x3, from + 12, sizeof x3);
        to[0] = __sxtab16(minus_zp, x0);
        to[1] = tinyae_sxtab16_ror8(minus_zp, x0);
        to[2] = __sxtab16(minus_zp, x1);
        to[3] = tinyae_sxtab16_ror8(minus_zp, x1);
        to[4] = __sxtab16(minus_zp, x2);
        to[5] = tinyae_sxtab16_ror8(minus_zp, x2);
        to[6] = __sxtab16(minus_zp, x3);
        to[7] = tinyae_sxtab16_ror8(minus_zp, x3);
        from += 16;
        to += 8;
    }
#endif
    for (; g < groups; g++) {
        uint32_t four; /* x[4g..4g+3] */
        __builtin_memcpy(&four, x + 4u * g, sizeof four);
        wide[2u * g] = __sxtab16(minus_zp, four);
        wide[2u * g + 1u] = __sxtab16(minus_zp, four >> 8);
    }
#endif
    for (; g < (n + 3u) / 4u; g++) {
        int32_t v[4]; /* (4) x[4g..4g+3] - zp, 0 past n */
        uint32_t k;
        for (k = 0; k < 4u; k++) {
            v[k] = 4u * g + k < n ? (int32_t)x[4u * g + k] - zero_point : 0;
        }
        wide[2u * g] = ((uint32_t)v[0] & 0xFFFFu) | (((uint32_t)v[2] & 0xFFFFu) << 16);
        wide[2u * g + 1u] = ((uint32_t)v[1] & 0xFFFFu) | (((uint32_t)v[3] & 0xFFFFu) << 16);
    }
}

/* ------------------------------------------------------- dot products -- */

/* Where row o of a layer's tiled weights (tinyae.h) continues from input k,
 * a multiple of 4: the word of inputs k..k+3 at words, each next group of
 * four step bytes further, and the row's last in_size % 4 weights together
 * at tail. w: (out_size * in_size) int8, tiled. */
typedef struct {
    const int8_t *words; /* inputs k..k+3 */
    uint32_t step;       /* 4 * rows of o's quad */
    const int8_t *tail;  /* (in_size % 4) */
} tinyae_row_i8;

static tinyae_row_i8 tinyae_row_at_i8(const int8_t *w, uint32_t in_size, uint32_t out_size, uint32_t o, uint32_t k)
{
    const uint32_t first = o & ~3u;                                        /* row 0 of o's quad */
    const uint32_t height = out_size - first < 4u ? out_size - first : 4u; /* rows in the quad */
    const uint32_t whole = in_size & ~3u;                                  /* inputs in whole groups */
    const int8_t *quad = w + (size_t)first * in_size;
    tinyae_row_i8 row;
    row.words = quad + (size_t)height * k + 4u * (o - first);
    row.step = 4u * height;
    row.tail = quad + (size_t)height * whole + (size_t)(in_size - whole) * (o - first);
    return row;
}

/* sums[r] += dot(row r, x - zp) over n inputs for two rows a and b of the
 * same quad (b may be a), portable C; each packed input word is unpacked
 * once for both rows. wide: (2 * ceil(n / 4)) packed words from
 * tinyae_widen_i8, sums: (2). */
static void tinyae_dot2_i8(tinyae_row_i8 a, tinyae_row_i8 b, const uint32_t *wide, uint32_t n, int32_t *sums)
{
    int32_t acc0 = sums[0], acc1 = sums[1];
    const uint32_t groups = n / 4u;
    const int8_t *w0 = a.words, *w1 = b.words;
    uint32_t g, k;
    for (g = 0; g < groups; g++) {
        const uint32_t even = wide[2u * g];     /* (x0, x2) */
        const uint32_t odd = wide[2u * g + 1u]; /* (x1, x3) */
        const int32_t x0 = tinyae_low16(even), x1 = tinyae_low16(odd);
        const int32_t x2 = tinyae_high16(even), x3 = tinyae_high16(odd);
        acc0 += w0[0] * x0 + w0[1] * x1 + w0[2] * x2 + w0[3] * x3;
        acc1 += w1[0] * x0 + w1[1] * x1 + w1[2] * x2 + w1[3] * x3;
        w0 += a.step;
        w1 += a.step;
    }
    for (k = 4u * groups; k < n; k++) {
        const uint32_t word = wide[2u * (k / 4u) + (k & 1u)];
        const int32_t x = (k & 2u) ? tinyae_high16(word) : tinyae_low16(word);
        acc0 += a.tail[k - 4u * groups] * x;
        acc1 += b.tail[k - 4u * groups] * x;
    }
    sums[0] = acc0;
    sums[1] = acc1;
}

#if TINYAE_I8_DSP
/* tinyae_output_i8 when rq->floor is -128: the SSAT alone clamps. */
static inline int8_t tinyae_saturate_i8(const tinyae_requant_i8 *rq, uint32_t o, int32_t acc)
{
    return (int8_t)__ssat(tinyae_rescale(acc, rq->multiplier[o], rq->shift[o]) + rq->zero_point, 8);
}

/* What tinyae_rows4_dsp reads; the order of the fields is the assembly's
 * (it copies the struct to its stack and reads it by offset). */
typedef struct {
    const int8_t *w;           /* 0: the first quad's tiles of these inputs (word-aligned) */
    const uint32_t *wide;      /* 4: (4 * blocks) packed words of 16 * blocks inputs */
    uint32_t skip;             /* 8: bytes from the end of a quad's tiles of these inputs to the next quad's */
    const int32_t *from;       /* 12: (4 * quads) sums to start from (may be sums) */
    uint32_t trips;            /* 16: loop trips per quad, ceil(blocks / TINYAE_I8_TRIP_BLOCKS) */
    uint32_t entry;            /* 20: blocks the first trip leaves out (the copy holds its address) */
    int32_t *sums;             /* 24: (4 * quads) where the sums go, or NULL: requantized into out */
    const int32_t *multiplier; /* 28: (4 * quads) the quads' rows' requantization (sums NULL) */
    const uint8_t *shift;      /* 32: (4 * quads) */
    int8_t *out;               /* 36: (4 * quads) */
    int32_t round;             /* 40: 1 + 2 * requant zero point */
    const void *end;           /* 44: sums + 4 * quads, or out + 4 * quads */
} tinyae_quads_i8;

#if TINYAE_I8_KERNEL_REQUANT
/* The DSP kernel's requantization of one quad when one of its shifts is
 * outside [33, 62] (a real multiplier of 1/8 or more, rare): called from
 * the assembly with the quad's four sums, it writes the quad's outputs with
 * the same code as every other path and moves job's multiplier, shift and
 * out on to the next quad. sums: (4). The assembler name is fixed so that
 * the assembly can call it from C and C++ alike. */
static void tinyae_requantize_quad_i8(const int32_t *sums, tinyae_quads_i8 *job) __asm__("tinyae_requantize_quad_i8")
    __attribute__((__used__));
static void tinyae_requantize_quad_i8(const int32_t *sums, tinyae_quads_i8 *job)
{
    tinyae_requant_i8 rq;
    uint32_t r;
    rq.multiplier = job->multiplier;
    rq.shift = job->shift;
    rq.zero_point = (job->round - 1) / 2;
    rq.floor = -128;
    for (r = 0; r < 4u; r++) {
        job->out[r] = tinyae_output_i8(&rq, r, sums[r]);
    }
    job->multiplier += 4;
    job->shift += 4;
    job->out += 4;
}
#endif

/* One tile: four inputs for four rows (16 multiply-accumulates). The two
 * packed input words and the tile's four words, one per row, are loaded in
 * one run of six single loads (on the Cortex-M4 a load after a load costs 1
 * cycle, not 2: 7 cycles), then SXTB16 splits each weight word into (w0, w2)
 * and (w1, w3) and SMLAD adds two products at a time. Registers: r0 inputs,
 * r1 tiles, r4 r5 input words, r2 r3 r6 r7 the rows' weight words, r8-r11
 * the four sums, r12 one split word. No load's address comes from the load
 * just before it. 80 bytes of code. */
#define TINYAE_I8_TILE            \
    "ldr r5, [r0, #4]\n\t"        \
    "ldr r4, [r0], #8\n\t"        \
    "ldr r3, [r1, #4]\n\t"        \
    "ldr r6, [r1, #8]\n\t"        \
    "ldr r7, [r1, #12]\n\t"       \
    "ldr r2, [r1], #16\n\t"       \
    "sxtb16 r12, r2\n\t"          \
    "smlad r8, r12, r4, r8\n\t"   \
    "sxtb16 r2, r2, ror #8\n\t"   \
    "smlad r8, r2, r5, r8\n\t"    \
    "sxtb16 r12, r3\n\t"          \
    "smlad r9, r12, r4, r9\n\t"   \
    "sxtb16 r3, r3, ror #8\n\t"   \
    "smlad r9, r3, r5, r9\n\t"    \
    "sxtb16 r12, r6\n\t"          \
    "smlad r10, r12, r4, r10\n\t" \
    "sxtb16 r6, r6, ror #8\n\t"   \
    "smlad r10, r6, r5, r10\n\t"  \
    "sxtb16 r12, r7\n\t"          \
    "smlad r11, r12, r4, r11\n\t" \
    "sxtb16 r7, r7, ror #8\n\t"   \
    "smlad r11, r7, r5, r11\n\t"

/* A block: 16 inputs, four tiles. */
#define TINYAE_I8_BLOCK TINYAE_I8_TILE TINYAE_I8_TILE TINYAE_I8_TILE TINYAE_I8_TILE

/* A loop trip: TINYAE_I8_TRIP_BLOCKS blocks, 160 inputs, one chunk
 * (TINYAE_I8_CHUNK_INPUTS), so that a quad of a chunk or of a smaller layer
 * is one trip; a quad whose blocks are fewer enters the trip part way, with
 * the jump that starts every quad (TINYAE_I8_QUAD). At -Os a trip is one
 * block: a tenth of the code. */
#if defined(__OPTIMIZE_SIZE__)
#define TINYAE_I8_TRIP_BLOCKS 1u
#define TINYAE_I8_TRIP_REST ""
#else
#define TINYAE_I8_TRIP_BLOCKS 10u
#define TINYAE_I8_TRIP_REST                                                                                         \
    TINYAE_I8_BLOCK TINYAE_I8_BLOCK TINYAE_I8_BLOCK TINYAE_I8_BLOCK TINYAE_I8_BLOCK TINYAE_I8_BLOCK TINYAE_I8_BLOCK \
        TINYAE_I8_BLOCK TINYAE_I8_BLOCK
#endif

/* The start of a quad, r1 its tiles: the inputs from their start, the
 * sums from `from`, and a jump to where the first trip starts -- which is
 * also the branch back from the quad before, so a quad entering its trip
 * part way pays nothing for it. */
#define TINYAE_I8_QUAD      \
    "ldr r2, [sp, #12]\n\t" \
    "ldr r0, [sp, #4]\n\t"  \
    "ldr lr, [sp, #16]\n\t" \
    "ldr r3, [sp, #20]\n\t" \
    "ldm r2!, {r8-r11}\n\t" \
    "str r2, [sp, #12]\n\t" \
    "bx r3"

#if TINYAE_I8_KERNEL_REQUANT
/* The requantization of a quad (see tinyae_rows4_dsp), its loads, and its
 * way out to C for a shift outside [33, 62]. */
#define TINYAE_I8_REQUANT_LOADS              \
    "ldr r3, [sp, #28]\n\t" /* multiplier */ \
    "ldr r4, [sp, #32]\n\t" /* shift */
#define TINYAE_I8_REQUANT                                                                     \
    "cmp r2, #0\n\t"                                                                          \
    "bne 5f\n\t"                                                                              \
    "ldrb r5, [r4, #1]\n\t"                                                                   \
    "ldrb r6, [r4, #2]\n\t"                                                                   \
    "ldrb r7, [r4, #3]\n\t"                                                                   \
    "ldrb r2, [r4], #4\n\t" /* the base update last: no load waits for it */                  \
    "sub r2, r2, #33\n\t"                                                                     \
    "sub r5, r5, #33\n\t"                                                                     \
    "sub r6, r6, #33\n\t"                                                                     \
    "sub r7, r7, #33\n\t"                                                                     \
    "orr r0, r2, r5\n\t"                                                                      \
    "orr r0, r0, r6\n\t"                                                                      \
    "orr r0, r0, r7\n\t"                                                                      \
    "cmp r0, #29\n\t" /* all four in [0, 29] (an or above 29 may be a false alarm: C then) */ \
    "bhi 6f\n\t"                                                                              \
    "str r4, [sp, #32]\n\t"                                                                   \
    "ldm r3!, {r0, r4, r12, lr}\n\t"                                                          \
    "str r3, [sp, #28]\n\t"                                                                   \
    "smmul r8, r8, r0\n\t"                                                                    \
    "smmul r9, r9, r4\n\t"                                                                    \
    "smmul r10, r10, r12\n\t"                                                                 \
    "smmul r11, r11, lr\n\t"                                                                  \
    "asr r8, r8, r2\n\t"                                                                      \
    "asr r9, r9, r5\n\t"                                                                      \
    "asr r10, r10, r6\n\t"                                                                    \
    "asr r11, r11, r7\n\t"                                                                    \
    "ldr lr, [sp, #40]\n\t" /* round */                                                       \
    "ldr r0, [sp, #36]\n\t" /* out */                                                         \
    "ldr r12, [sp, #44]\n\t"                                                                  \
    "add r8, r8, lr\n\t"                                                                      \
    "add r9, r9, lr\n\t"                                                                      \
    "add r10, r10, lr\n\t"                                                                    \
    "add r11, r11, lr\n\t"                                                                    \
    "ssat r8, #8, r8, asr #1\n\t"                                                             \
    "ssat r9, #8, r9, asr #1\n\t"                                                             \
    "ssat r10, #8, r10, asr #1\n\t"                                                           \
    "ssat r11, #8, r11, asr #1\n\t"                                                           \
    "strb r8, [r0], #4\n\t"                                                                   \
    "strb r9, [r0, #-3]\n\t"                                                                  \
    "strb r10, [r0, #-2]\n\t"                                                                 \
    "strb r11, [r0, #-1]\n\t"                                                                 \
    "str r0, [sp, #36]\n\t"                                                                   \
    "cmp r0, r12\n\t" /* past the last quad's outputs */                                      \
    "beq 8f\n\t" TINYAE_I8_QUAD "\n"
#define TINYAE_I8_REQUANT_SLOW                              \
    "6:\n\t" /* a shift outside [33, 62]: this quad in C */ \
    "str r1, [sp]\n\t"                                      \
    "push {r8-r11}\n\t"                                     \
    "mov r0, sp\n\t"                                        \
    "add r1, sp, #16\n\t"                                   \
    "bl tinyae_requantize_quad_i8\n\t"                      \
    "add sp, sp, #16\n\t"                                   \
    "ldr r1, [sp]\n\t"                                      \
    "ldr r0, [sp, #36]\n\t"                                 \
    "ldr r12, [sp, #44]\n\t"                                \
    "cmp r0, r12\n\t"                                       \
    "beq 8f\n\t" TINYAE_I8_QUAD "\n"
#else
#define TINYAE_I8_REQUANT_LOADS ""
#define TINYAE_I8_REQUANT ""
#define TINYAE_I8_REQUANT_SLOW ""
#endif

/* For the 4 * quads rows of job: sums[r] = from[r] + dot(row r, x - zp)
 * over 16 * blocks inputs, or, when job->sums is NULL (never at -Os, see
 * TINYAE_I8_KERNEL_REQUANT), out[r] = those sums requantized with clamp
 * [-128, 127] (tinyae_output_i8 with floor -128).
 * Four rows at a time share each load of the widened input and keep their
 * sums in registers; their weights are one run of tiles, read through one
 * pointer: 23 cycles per 16 multiply-accumulates on the Cortex-M4's timings
 * (16 for SXTB16 + SMLAD, 7 for loads). Requantizing while the sums are in
 * registers saves their store, reload and a loop of its own: per row one
 * SMMUL (the high word of acc * multiplier, which is all a shift in [33, 62]
 * needs, tinyae_rescale), an ASR by shift - 33, the rounding and zero point
 * added as 1 + 2 * zp and SSAT #8 with ASR #1 (floor((t + 1 + 2zp) / 2) =
 * floor((t + 1) / 2) + zp). A quad with a shift outside [33, 62] is
 * requantized in C (tinyae_requantize_quad_i8). All 14 usable registers are
 * taken in the loop, so the function is written whole in assembly: the job
 * is copied to the stack, which holds the per-quad state. */
static __attribute__((__naked__, __noinline__)) void tinyae_rows4_dsp(const tinyae_quads_i8 *job
                                                                      __attribute__((__unused__)))
{
    __asm__ volatile(
        "push {r4-r11, lr}\n\t"
        "sub sp, sp, #4\n\t" /* sp stays 8-byte aligned for the call below */
        "ldm r0, {r1-r12}\n\t"
        "adr.w r0, 3f\n\t" /* the trip's first block */
        "adr.w lr, 4f\n\t" /* its second */
        "sub lr, lr, r0\n\t"
        "mla r6, r6, lr, r0\n\t"
        "orr r6, r6, #1\n\t" /* the first trip's entry, a Thumb address */
        "push {r1-r12}\n\t"  /* [sp]: the job, entry an address */
        TINYAE_I8_QUAD
        "\n"
        "3:\n\t" TINYAE_I8_BLOCK "4:\n\t" TINYAE_I8_TRIP_REST
        "subs lr, lr, #1\n\t"
        "bne 3b\n\t"
        "ldr r2, [sp, #24]\n\t"                                             /* sums */
        "ldr r5, [sp, #8]\n\t" TINYAE_I8_REQUANT_LOADS "add r1, r1, r5\n\t" /* the next quad's tiles */
        TINYAE_I8_REQUANT
        "5:\n\t" /* the sums, to be continued by the next chunk */
        "stm r2!, {r8-r11}\n\t"
        "ldr r12, [sp, #44]\n\t"
        "str r2, [sp, #24]\n\t"
        "cmp r2, r12\n\t"
        "beq 8f\n\t" TINYAE_I8_QUAD "\n" TINYAE_I8_REQUANT_SLOW
        "8:\n\t"
        "add sp, sp, #52\n\t"
        "pop {r4-r11, pc}\n\t");
}
#endif

#if TINYAE_I8_MVE
/* dot(row, x - zp) over n inputs of a tiled row, a weight at a time: what
 * the Helium path leaves, the inputs past its last vector and the rows past
 * its last quad. x: (n). */
static int32_t tinyae_dot_direct_i8(tinyae_row_i8 row, const int8_t *x, uint32_t n, int32_t zero_point)
{
    const uint32_t whole = n & ~3u;
    int32_t acc = 0;
    uint32_t k;
    for (k = 0; k < n; k++) {
        const int32_t w = k < whole ? row.words[row.step * (k / 4u) + (k & 3u)] : row.tail[k - whole];
        acc += w * ((int32_t)x[k] - zero_point);
    }
    return acc;
}

/* Helium (MVE, Cortex-M55): sums[r] = bias[first + r] + dot(row first + r,
 * x - zp) for r < rows, straight from the int8 input, no widening.
 * VMLADAVA.S8 adds the 16 products of two int8 vectors to an int32; the zero
 * point comes out of the sum as dot(w, x - zp) = dot(w, x) - zp * sum(w),
 * VADDVA.S8 adding up the weights as they pass. Integer sums in int32
 * without overflow (see tinyae.h), so the result is the portable path's bit
 * for bit. Four rows share each load of 16 inputs: their four tiles of those
 * inputs are 16 words, row-interleaved, and VLD4 (vld4q_s32) deals word i
 * to vector i % 4, which gives each row's 16 weights in input order. first:
 * a multiple of 4; the weights word-aligned. x: (in_size), sums: (rows). */
static void tinyae_rows_mve(const tinyae_layer_i8 *layer, uint32_t first, uint32_t rows, const int8_t *x, int32_t *sums)
{
    const uint32_t in_size = layer->in_size, vectors = in_size / 16u, done = 16u * vectors;
    const int32_t zp = layer->input_zero_point;
    const int32_t *bias = layer->bias + first;
    uint32_t r, k;
    for (r = 0; r + 4u <= rows; r += 4u) {
        const int32_t *tiles = (const int32_t *)(const void *)(layer->weights + (size_t)(first + r) * in_size);
        const int8_t *xp = x;
        int32_t d0 = 0, d1 = 0, d2 = 0, d3 = 0, s0 = 0, s1 = 0, s2 = 0, s3 = 0; /* dot(w_i, x), sum(w_i) */
        for (k = 0; k < vectors; k++) {
            const int32x4x4_t t = vld4q_s32(tiles);
            const int8x16_t xv = vldrbq_s8(xp);
            const int8x16_t a = vreinterpretq_s8_s32(t.val[0]), b = vreinterpretq_s8_s32(t.val[1]);
            const int8x16_t c = vreinterpretq_s8_s32(t.val[2]), e = vreinterpretq_s8_s32(t.val[3]);
            tiles += 16;
            xp += 16;
            d0 = vmladavaq_s8(d0, a, xv);
            s0 = vaddvaq_s8(s0, a);
            d1 = vmladavaq_s8(d1, b, xv);
            s1 = vaddvaq_s8(s1, b);
            d2 = vmladavaq_s8(d2, c, xv);
            s2 = vaddvaq_s8(s2, c);
            d3 = vmladavaq_s8(d3, e, xv);
            s3 = vaddvaq_s8(s3, e);
        }
        sums[r] = bias[r] + d0 - zp * s0;
        sums[r + 1u] = bias[r + 1u] + d1 - zp * s1;
        sums[r + 2u] = bias[r + 2u] + d2 - zp * s2;
        sums[r + 3u] = bias[r + 3u] + d3 - zp * s3;
        for (k = 0; done < in_size && k < 4u; k++) {
            const tinyae_row_i8 row = tinyae_row_at_i8(layer->weights, in_size, layer->out_size, first + r + k, done);
            sums[r + k] += tinyae_dot_direct_i8(row, x + done, in_size - done, zp);
        }
    }
    for (; r < rows; r++) {
        const tinyae_row_i8 row = tinyae_row_at_i8(layer->weights, in_size, layer->out_size, first + r, 0u);
        sums[r] = bias[r] + tinyae_dot_direct_i8(row, x, in_size, zp);
    }
}
#endif

/* ------------------------------------------------------------- layers -- */

/* Whether a layer's weights start on a word boundary, as the kernels' word
 * loads need (a header's arrays are aligned; a hand-built model's may not
 * be, and then takes portable C). */
static int tinyae_words_aligned_i8(const tinyae_layer_i8 *layer)
{
    return ((uintptr_t)(const void *)layer->weights & 3u) == 0u;
}

#if TINYAE_I8_DSP
/* The DSP kernel's job for the whole quads of rows first..first + rows - 1
 * and the n inputs from start on (whole blocks of 16), their sums starting
 * from `from`; the caller says where the results go. first and start:
 * multiples of 4; wide: the packed words of those inputs. */
static tinyae_quads_i8 tinyae_quads_job_i8(const tinyae_layer_i8 *layer, uint32_t first, uint32_t start, uint32_t n,
                                           const uint32_t *wide, const int32_t *from)
{
    const uint32_t blocks = n / 16u;
    tinyae_quads_i8 job;
    job.w = layer->weights + (size_t)first * layer->in_size + 4u * start;
    job.wide = wide;
    job.skip = 4u * (layer->in_size - 16u * blocks);
    job.from = from;
    job.trips = (blocks + TINYAE_I8_TRIP_BLOCKS - 1u) / TINYAE_I8_TRIP_BLOCKS;
    job.entry = TINYAE_I8_TRIP_BLOCKS * job.trips - blocks;
    job.sums = NULL;
    job.multiplier = NULL;
    job.shift = NULL;
    job.out = NULL;
    job.round = 0;
    job.end = NULL;
    return job;
}
#endif

/* sums[r] = from[r] + dot(row first + r, x - zp) over the n inputs from
 * start on, for r < rows (from may be sums): the DSP kernel on whole quads
 * of rows and blocks of 16 inputs, portable C for the rest. first and start:
 * multiples of 4; wide: (2 * ceil(n / 4)) packed words of those inputs,
 * from and sums: (rows). */
static void tinyae_accumulate_i8(const tinyae_layer_i8 *layer, uint32_t first, uint32_t rows, uint32_t start,
                                 uint32_t n, const uint32_t *wide, const int32_t *from, int32_t *sums)
{
    const int8_t *w = layer->weights; /* (out_size * in_size) tiled */
    const uint32_t in_size = layer->in_size, out_size = layer->out_size;
    uint32_t r = 0, quad_rows = 0, done = 0; /* rows the DSP kernel took and the inputs it covered */
#if TINYAE_I8_DSP
    if (n >= 16u && rows >= 4u && tinyae_words_aligned_i8(layer)) {
        tinyae_quads_i8 job = tinyae_quads_job_i8(layer, first, start, n, wide, from);
        job.sums = sums;
        job.end = sums + (rows & ~3u);
        tinyae_rows4_dsp(&job);
        quad_rows = r = rows & ~3u;
        done = n & ~15u;
    }
#endif
    for (; r < rows; r += 2u) {
        /* rows r and r + 1, or row r twice when it is the last */
        const uint32_t next = r + 1u < rows ? r + 1u : r;
        int32_t pair[2]; /* (2) */
        pair[0] = from[r];
        pair[1] = from[next];
        tinyae_dot2_i8(tinyae_row_at_i8(w, in_size, out_size, first + r, start),
                       tinyae_row_at_i8(w, in_size, out_size, first + next, start), wide, n, pair);
        sums[r] = pair[0];
        sums[next] = pair[1];
    }
    /* The inputs after the DSP kernel's last block, for its rows. */
    for (r = 0; done < n && r < quad_rows; r += 2u) {
        int32_t pair[2]; /* (2) */
        pair[0] = sums[r];
        pair[1] = sums[r + 1u];
        tinyae_dot2_i8(tinyae_row_at_i8(w, in_size, out_size, first + r, start + done),
                       tinyae_row_at_i8(w, in_size, out_size, first + r + 1u, start + done), wide + done / 2u, n - done,
                       pair);
        sums[r] = pair[0];
        sums[r + 1u] = pair[1];
    }
}

/* out[r] = tinyae_output_i8(sums[r]) for rows first..first + rows - 1 of a
 * layer. sums: (rows), out: (rows). */
static void tinyae_requantize_rows_i8(const tinyae_requant_i8 *requant, uint32_t first, const int32_t *sums,
                                      uint32_t rows, int8_t *out)
{
    const tinyae_requant_i8 rq = *requant;
    uint32_t r;
#if TINYAE_I8_DSP
    /* A copy of the loop without the ReLU floor (a ReLU layer's output zero
     * point is -128 when its range starts at 0, as calibrated ones do). */
    if (rq.floor == -128) {
        for (r = 0; r < rows; r++) {
            out[r] = tinyae_saturate_i8(&rq, first + r, sums[r]);
        }
        return;
    }
#endif
    for (r = 0; r < rows; r++) {
        out[r] = tinyae_output_i8(&rq, first + r, sums[r]);
    }
}

/* Inputs a layer widens at a time: the whole input when it fits one chunk,
 * or when the layer reads the model's input and writes its output (a
 * one-layer model), which the caller may pass as the same memory: a whole
 * input is widened before any output is written. */
static uint32_t tinyae_chunk_inputs_i8(const tinyae_model_i8 *model, uint32_t in_size)
{
    return model->layer_count == 1u || in_size < TINYAE_I8_CHUNK_INPUTS ? in_size : TINYAE_I8_CHUNK_INPUTS;
}

#if TINYAE_I8_KERNEL_REQUANT
/* out[r] = the requantized sum from[r] + dot(row first + r, x - zp) over the
 * inputs from start on, which are the layer's last n, for r < rows: the DSP
 * kernel requantizes each quad while its sums are in registers. rows: a
 * multiple of 4; n: a multiple of 16; rq->floor: -128. from: (rows), out:
 * (out_size) the layer's output. */
static void tinyae_requantize_quads_i8(const tinyae_layer_i8 *layer, const tinyae_requant_i8 *rq, uint32_t first,
                                       uint32_t rows, uint32_t start, uint32_t n, const uint32_t *wide,
                                       const int32_t *from, int8_t *out)
{
    tinyae_quads_i8 job = tinyae_quads_job_i8(layer, first, start, n, wide, from);
    job.multiplier = rq->multiplier + first;
    job.shift = rq->shift + first;
    job.out = out + first;
    job.round = 1 + 2 * rq->zero_point;
    job.end = out + first + rows;
    tinyae_rows4_dsp(&job);
}
#endif

/* One layer. in: (in_size) int8, out: (out_size) int8, which may be the same
 * memory as in only when chunk >= in_size. chunk: inputs widened at a time
 * (a multiple of 4 below in_size, or in_size); sums: (min(out_size,
 * TINYAE_I8_BLOCK_ROWS)) int32, wide: (2 * ceil(chunk / 4)) words. */
static void tinyae_layer_forward_i8(const tinyae_layer_i8 *layer, const int8_t *in, int8_t *out, uint32_t chunk,
                                    int32_t *sums, uint32_t *wide)
{
    const uint32_t in_size = layer->in_size;
    const uint32_t out_size = layer->out_size;
    tinyae_requant_i8 rq;
    uint32_t first, start, r, rows;
    rq.multiplier = layer->multiplier;
    rq.shift = layer->shift;
    rq.zero_point = layer->requant_zero_point;
    rq.floor = layer->activation == TINYAE_ACT_RELU ? layer->output_zero_point : -128;
    /* Helium reads the int8 input itself, so it needs in and out apart. */
    const int direct = TINYAE_I8_MVE && in != out && tinyae_words_aligned_i8(layer);
    /* The DSP kernel requantizes whole quads itself when it covers every
     * input and SSAT alone clamps; their sums then never touch scratch, so
     * a layer widened whole takes all its quads in one block. */
    const int in_kernel = TINYAE_I8_KERNEL_REQUANT && !direct && rq.floor == -128 && in_size % 16u == 0u &&
                          tinyae_words_aligned_i8(layer);
    if (chunk >= in_size && !direct) {
        tinyae_widen_i8(in, in_size, layer->input_zero_point, wide);
    }
    for (first = 0; first < out_size; first += rows) {
        int requantized;
        rows = out_size - first;
        if (!(in_kernel && chunk >= in_size) && rows > TINYAE_I8_BLOCK_ROWS) {
            rows = TINYAE_I8_BLOCK_ROWS;
        }
        if (in_kernel && rows >= 4u) {
            rows &= ~3u; /* the rows past the last quad: a block of their own */
        }
        requantized = in_kernel && rows % 4u == 0u;
#if TINYAE_I8_MVE
        if (direct) {
            tinyae_rows_mve(layer, first, rows, in, sums);
            tinyae_requantize_rows_i8(&rq, first, sums, rows, out + first);
            continue;
        }
#endif
        for (start = 0; start < in_size; start += chunk) {
            const uint32_t n = in_size - start < chunk ? in_size - start : chunk;
            const int32_t *from = start == 0u ? layer->bias + first : sums; /* the sums start from the biases */
            if (chunk < in_size) {
                tinyae_widen_i8(in + start, n, layer->input_zero_point, wide);
            }
#if TINYAE_I8_KERNEL_REQUANT
            if (requantized && start + n == in_size) {
                tinyae_requantize_quads_i8(layer, &rq, first, rows, start, n, wide, from, out);
                continue;
            }
#endif
            tinyae_accumulate_i8(layer, first, rows, start, n, wide, from, sums);
        }
        if (!requantized) {
            tinyae_requantize_rows_i8(&rq, first, sums, rows, out + first);
        }
    }
    if (layer->lut != NULL) {
        for (r = 0; r < out_size; r++) {
            out[r] = layer->lut[(int32_t)out[r] + 128];
        }
    }
}

/* -------------------------------------------------------------- model -- */

static uint32_t tinyae_words_for_bytes(uint32_t bytes)
{
    return (bytes + 3u) / 4u;
}

/* Where a model's scratch goes, in words from its start (see
 * tinyae_scratch_words_i8): the int8 intermediates, then the sums of one
 * block of rows, then one widened chunk. */
typedef struct {
    uint32_t mid_bytes; /* the largest two consecutive intermediates (ping-pong) */
    uint32_t sums;      /* word offset of the block sums */
    uint32_t wide;      /* word offset of the widened chunk */
    uint32_t total;     /* words in all */
} tinyae_layout_i8;

/* The layout of a model whose layer table is not NULL. */
static tinyae_layout_i8 tinyae_layout_of_i8(const tinyae_model_i8 *model)
{
    tinyae_layout_i8 layout;
    uint32_t max_rows = 0, max_wide = 0, i;
    layout.mid_bytes = 0;
    for (i = 0; i < model->layer_count; i++) {
        const tinyae_layer_i8 *layer = &model->layers[i];
        const uint32_t rows = layer->out_size < TINYAE_I8_BLOCK_ROWS ? layer->out_size : TINYAE_I8_BLOCK_ROWS;
        const uint32_t wide = 2u * tinyae_words_for_bytes(tinyae_chunk_inputs_i8(model, layer->in_size));
        max_rows = rows > max_rows ? rows : max_rows;
        max_wide = wide > max_wide ? wide : max_wide;
        if (i + 1u < model->layer_count) {
            /* intermediate i + 1, live together with the next one */
            uint32_t here = layer->out_size;
            if (i + 2u < model->layer_count) {
                here += model->layers[i + 1u].out_size;
            }
            layout.mid_bytes = here > layout.mid_bytes ? here : layout.mid_bytes;
        }
    }
    layout.sums = tinyae_words_for_bytes(layout.mid_bytes);
    layout.wide = layout.sums + max_rows;
    layout.total = layout.wide + max_wide;
    return layout;
}

uint32_t tinyae_scratch_words_i8(const tinyae_model_i8 *model)
{
    if (model == NULL || model->layers == NULL) {
        return 0;
    }
    return tinyae_layout_of_i8(model).total;
}

/* Everything tinyae_run_i8 checks before touching output. */
static tinyae_status tinyae_check_i8(const tinyae_model_i8 *model, const int8_t *input, const int8_t *output,
                                     const int32_t *scratch, size_t scratch_words)
{
    uint32_t need;
    uint16_t i;
    if (model == NULL || input == NULL || output == NULL) {
        return TINYAE_ERR_NULL_ARGUMENT;
    }
    if (model->format_version != TINYAE_FORMAT_VERSION) {
        return TINYAE_ERR_BAD_VERSION;
    }
    if (model->layers == NULL) {
        return TINYAE_ERR_NULL_ARGUMENT;
    }
    if (model->layer_count == 0u || model->layers[0].in_size != model->input_size ||
        model->layers[model->layer_count - 1u].out_size != model->output_size ||
        model->layers[0].input_zero_point != model->input_zero_point ||
        model->layers[model->layer_count - 1u].output_zero_point != model->output_zero_point) {
        return TINYAE_ERR_BAD_MODEL;
    }
    for (i = 0; i < model->layer_count; i++) {
        const tinyae_layer_i8 *layer = &model->layers[i];
        const int uses_table = layer->activation == TINYAE_ACT_SIGMOID || layer->activation == TINYAE_ACT_TANH;
        if (layer->weights == NULL || layer->bias == NULL || layer->multiplier == NULL || layer->shift == NULL ||
            (uses_table && layer->lut == NULL)) {
            return TINYAE_ERR_NULL_ARGUMENT;
        }
        if (layer->in_size == 0u || layer->out_size == 0u || layer->activation >= TINYAE_ACT_COUNT ||
            (!uses_table && (layer->lut != NULL || layer->requant_zero_point != layer->output_zero_point))) {
            return TINYAE_ERR_BAD_MODEL;
        }
        if (i + 1u < model->layer_count && (layer->out_size != model->layers[i + 1u].in_size ||
                                            layer->output_zero_point != model->layers[i + 1u].input_zero_point)) {
            return TINYAE_ERR_BAD_MODEL;
        }
    }
    need = tinyae_scratch_words_i8(model);
    if (model->scratch_words < need) {
        return TINYAE_ERR_BAD_MODEL; /* the exported size would under-allocate */
    }
    if (scratch_words < need) {
        return TINYAE_ERR_SCRATCH_TOO_SMALL;
    }
    if (scratch == NULL) {
        return TINYAE_ERR_NULL_ARGUMENT;
    }
    return TINYAE_OK;
}

tinyae_status tinyae_run_i8(const tinyae_model_i8 *model, const int8_t *input, int8_t *output, int32_t *scratch,
                            size_t scratch_words)
{
    tinyae_layout_i8 layout;
    int8_t *mid; /* (layout.mid_bytes) int8: the intermediates, alternating between its two ends */
    const int8_t *in = input;
    uint16_t i;
    const tinyae_status status = tinyae_check_i8(model, input, output, scratch, scratch_words);
    if (status != TINYAE_OK) {
        return status;
    }
    layout = tinyae_layout_of_i8(model);
    mid = (int8_t *)(void *)scratch;
    for (i = 0; i < model->layer_count; i++) {
        const tinyae_layer_i8 *layer = &model->layers[i];
        int8_t *out = output;
        /* Outputs of layers 0, 2, ... start at mid[0], those of layers 1, 3,
         * ... end at mid[mid_bytes - 1]: two consecutive ones never overlap. */
        if (i + 1u < model->layer_count) {
            out = (i % 2u == 0u) ? mid : mid + (layout.mid_bytes - layer->out_size);
        }
        tinyae_layer_forward_i8(layer, in, out, tinyae_chunk_inputs_i8(model, layer->in_size), scratch + layout.sums,
                                (uint32_t *)(void *)(scratch + layout.wide));
        in = out;
    }
    return TINYAE_OK;
}

/* ------------------------------------------------------ float <-> int8 -- */

/* False for NaN, zero, negative numbers and infinity. */
static int tinyae_scale_ok(float scale)
{
    return scale > 0.0f && scale <= 3.402823466e38f;
}

/* What both conversions check before writing: the pointers, then the scale
 * of the side they convert (the model's input or output). */
static tinyae_status tinyae_check_conversion_i8(const tinyae_model_i8 *model, const void *from, const void *to,
                                                int output_side)
{
    if (model == NULL || from == NULL || to == NULL) {
        return TINYAE_ERR_NULL_ARGUMENT;
    }
    return tinyae_scale_ok(output_side ? model->output_scale : model->input_scale) ? TINYAE_OK : TINYAE_ERR_BAD_MODEL;
}

/* One value quantized with the model's input parameters. */
static int8_t tinyae_quantize_one_i8(const tinyae_model_i8 *model, float x)
{
    /* Clamped as a float before the conversion: converting an out-of-range
     * float to an integer is undefined. NaN fails every comparison, so it is
     * caught first (q != q only for NaN). */
    float q = roundf(x / model->input_scale) + (float)model->input_zero_point;
    if (q != q) {
        q = (float)model->input_zero_point;
    }
    q = q < -128.0f ? -128.0f : (q > 127.0f ? 127.0f : q);
    return (int8_t)q;
}

tinyae_status tinyae_quantize_input_i8(const tinyae_model_i8 *model, const float *input, int8_t *quantized)
{
    uint32_t i;
    const tinyae_status status = tinyae_check_conversion_i8(model, input, quantized, 0);
    if (status != TINYAE_OK) {
        return status;
    }
    for (i = 0; i < model->input_size; i++) {
        quantized[i] = tinyae_quantize_one_i8(model, input[i]);
    }
    return TINYAE_OK;
}

tinyae_status tinyae_dequantize_output_i8(const tinyae_model_i8 *model, const int8_t *quantized, float *output)
{
    uint32_t i;
    const tinyae_status status = tinyae_check_conversion_i8(model, quantized, output, 1);
    if (status != TINYAE_OK) {
        return status;
    }
    for (i = 0; i < model->output_size; i++) {
        output[i] = model->output_scale * (float)((int32_t)quantized[i] - model->output_zero_point);
    }
    return TINYAE_OK;
}

/* ---------------------------------------------------- scaling and score -- */

tinyae_status tinyae_scale_input_i8(const tinyae_model_i8 *model, const tinyae_scaling *scaling, const float *raw,
                                    int8_t *input)
{
    uint32_t i, f = 0;
    tinyae_status status = tinyae_check_conversion_i8(model, raw, input, 0);
    if (status != TINYAE_OK) {
        return status;
    }
    status = tinyae_check_scaling(scaling, model->input_size, raw, input);
    if (status != TINYAE_OK) {
        return status;
    }
    for (i = 0; i < model->input_size; i++) {
        input[i] = tinyae_quantize_one_i8(model, (raw[i] - scaling->offset[f]) * scaling->scale[f]);
        f = f + 1u == scaling->feature_count ? 0u : f + 1u;
    }
    return TINYAE_OK;
}

tinyae_status tinyae_score_i8(const tinyae_model_i8 *model, const tinyae_anomaly_i8 *anomaly, const int8_t *input,
                              const int8_t *output, uint64_t *sum)
{
    uint64_t total = 0;
    uint32_t i;
    if (model == NULL || anomaly == NULL || input == NULL || output == NULL || sum == NULL) {
        return TINYAE_ERR_NULL_ARGUMENT;
    }
    if (model->input_size == 0u || model->input_size != model->output_size) {
        return TINYAE_ERR_BAD_MODEL;
    }
    for (i = 0; i < model->input_size; i++) {
        /* |r| <= 2^30 (tinyae_rescale saturates), so |d| < 2^31 and d * d is exact in int64. */
        const int32_t r =
            tinyae_rescale((int32_t)input[i] - model->input_zero_point, anomaly->multiplier, anomaly->shift);
        const int64_t d = (int64_t)((int32_t)output[i] - model->output_zero_point) - r;
        total += (uint64_t)(d * d);
    }
    *sum = total;
    return TINYAE_OK;
}

int tinyae_is_anomaly_i8(const tinyae_anomaly_i8 *anomaly, uint64_t sum)
{
    return anomaly != NULL && sum > anomaly->threshold_sum;
}
