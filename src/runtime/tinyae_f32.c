/*
 * tinyae_f32.c - float32 inference for the freestanding tinyae runtime.
 * Ships with tinyae.h and tinyae_status.c (the status strings), without
 * tinyae_int8.c.
 *
 * Constraints: C99 (also valid C++), -ffreestanding, no malloc, no stdio, no
 * global state; only <stdint.h>, <stddef.h> and <math.h>, plus <arm_mve.h>
 * on cores with Helium. The caller owns
 * every buffer. Text at -Os on Cortex-M4F must stay under 2 KB
 * (tools/bench/bench_runtime.sh measures it).
 *
 * Speed: a dense layer is out_size dot products of length in_size. Each
 * weight is used once per inference, so the floor is one load and one
 * multiply-accumulate per weight. tinyae_rows4_f32 computes four output rows at
 * once so each input value is loaded once for four rows; on Cortex-M with a
 * single-precision FPU it uses a short inline-assembly loop that loads eight
 * floats per instruction (VLDMIA) -- GCC does not emit multi-register float
 * loads from C -- and executes 1.30 instructions per multiply-accumulate on
 * 784-128-64-32-64-128-784 (`tinyae deploy` on Cortex-M4F and M7, see the
 * README) instead of 5 for a plain C loop. With Helium (Cortex-M55) four-lane
 * vector multiply-adds take about 0.8 instead. Elsewhere (host builds, other
 * CPUs, or with TINYAE_NO_ASM defined) the same computation runs in portable C.
 */
#include "tinyae.h"

#include <math.h>

/* ------------------------------------------------------------ dot products -- */

/* The inline assembly needs the registers an optimizing build frees (GCC at
   -O0 runs out of them): an unoptimized build takes the portable C path. */
#if defined(__ARM_FP) && ((__ARM_FP)&4) && defined(__thumb2__) && defined(__ARM_FEATURE_FMA) && \
    defined(__OPTIMIZE__) && !defined(TINYAE_NO_ASM)
#define TINYAE_F32_ASM 1
#else
#define TINYAE_F32_ASM 0
#endif

#if defined(__ARM_FEATURE_MVE) && ((__ARM_FEATURE_MVE)&2) && !defined(TINYAE_NO_ASM)
#define TINYAE_F32_MVE 1
#include <arm_mve.h>
#else
#define TINYAE_F32_MVE 0
#endif

#if TINYAE_F32_MVE
/* The sum of a vector's four lanes, pairwise. */
static float tinyae_lanes_sum_f32(float32x4_t a)
{
    return (vgetq_lane_f32(a, 0) + vgetq_lane_f32(a, 1)) + (vgetq_lane_f32(a, 2) + vgetq_lane_f32(a, 3));
}
#endif

/* out[r] = bias[r] + dot(w + r * in_size, x) for the four consecutive rows
 * r = 0..3 of a row-major (out, in_size) weight matrix starting at w.
 * x: (in_size), w: (4, in_size), bias: (4), out: (4). */
static void tinyae_rows4_f32(const float *x, const float *w, uint32_t in_size, const float *bias, float *out)
{
    const float *w0 = w;
    const float *w1 = w0 + in_size;
    const float *w2 = w1 + in_size;
    const float *w3 = w2 + in_size;
    const float *start = bias; /* (4) where the running sums start */
    float s0, s1, s2, s3;
    uint32_t k = 0;
#if TINYAE_F32_MVE
    /* Helium: four lanes per row, each summing every fourth input in input
     * order, added up at the end (rounding differs from one chain by a few
     * ulp, well inside deploy's tolerance). */
    if (in_size >= 4u) {
        const uint32_t vectors = in_size / 4u;
        float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
        const float *xp = x;
        uint32_t v;
        for (v = 0; v < vectors; v++) {
            const float32x4_t xv = vld1q_f32(xp);
            xp += 4;
            a0 = vfmaq_f32(a0, vld1q_f32(w0), xv);
            w0 += 4;
            a1 = vfmaq_f32(a1, vld1q_f32(w1), xv);
            w1 += 4;
            a2 = vfmaq_f32(a2, vld1q_f32(w2), xv);
            w2 += 4;
            a3 = vfmaq_f32(a3, vld1q_f32(w3), xv);
            w3 += 4;
        }
        k = 4u * vectors;
        out[0] = bias[0] + tinyae_lanes_sum_f32(a0);
        out[1] = bias[1] + tinyae_lanes_sum_f32(a1);
        out[2] = bias[2] + tinyae_lanes_sum_f32(a2);
        out[3] = bias[3] + tinyae_lanes_sum_f32(a3);
    }
#elif TINYAE_F32_ASM
    /* Blocks of 8 inputs. Registers: s0-s7 hold x[k..k+7]; s8-s15 and
     * s16-s23 hold eight weights of rows 0 and 1, then of rows 2 and 3;
     * s24-s27 are the four row sums, loaded from bias and stored to out.
     * Per block: 5 loads + 32 VFMA + 2 loop = 39 instructions for 32
     * multiply-accumulates. The multiply-adds of two rows alternate so a
     * pipelined FPU (Cortex-M7) has two independent chains; each row is
     * still summed in input order, one fused multiply-add per term. The
     * pointer operands advance by writeback; s16-s31 are callee-saved, so the
     * clobbers make GCC save them once in the caller's prologue. */
    uint32_t blocks = in_size / 8u;
    if (blocks > 0u) {
        const float *xp = x;
        __asm__ volatile(
            "vldmia %[bias], {s24-s27}\n\t"
            "1:\n\t"
            "vldmia %[xp]!, {s0-s7}\n\t"
            "vldmia %[w0]!, {s8-s15}\n\t"
            "vldmia %[w1]!, {s16-s23}\n\t"
            "vfma.f32 s24, s0, s8\n\t"
            "vfma.f32 s25, s0, s16\n\t"
            "vfma.f32 s24, s1, s9\n\t"
            "vfma.f32 s25, s1, s17\n\t"
            "vfma.f32 s24, s2, s10\n\t"
            "vfma.f32 s25, s2, s18\n\t"
            "vfma.f32 s24, s3, s11\n\t"
            "vfma.f32 s25, s3, s19\n\t"
            "vfma.f32 s24, s4, s12\n\t"
            "vfma.f32 s25, s4, s20\n\t"
            "vfma.f32 s24, s5, s13\n\t"
            "vfma.f32 s25, s5, s21\n\t"
            "vfma.f32 s24, s6, s14\n\t"
            "vfma.f32 s25, s6, s22\n\t"
            "vfma.f32 s24, s7, s15\n\t"
            "vfma.f32 s25, s7, s23\n\t"
            "vldmia %[w2]!, {s8-s15}\n\t"
            "vldmia %[w3]!, {s16-s23}\n\t"
            "vfma.f32 s26, s0, s8\n\t"
            "vfma.f32 s27, s0, s16\n\t"
            "vfma.f32 s26, s1, s9\n\t"
            "vfma.f32 s27, s1, s17\n\t"
            "vfma.f32 s26, s2, s10\n\t"
            "vfma.f32 s27, s2, s18\n\t"
            "vfma.f32 s26, s3, s11\n\t"
            "vfma.f32 s27, s3, s19\n\t"
            "vfma.f32 s26, s4, s12\n\t"
            "vfma.f32 s27, s4, s20\n\t"
            "vfma.f32 s26, s5, s13\n\t"
            "vfma.f32 s27, s5, s21\n\t"
            "vfma.f32 s26, s6, s14\n\t"
            "vfma.f32 s27, s6, s22\n\t"
            "vfma.f32 s26, s7, s15\n\t"
            "vfma.f32 s27, s7, s23\n\t"
            "subs %[blocks], %[blocks], #1\n\t"
            "bne 1b\n\t"
            "vstmia %[out], {s24-s27}\n\t"
            : [xp] "+r"(xp), [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3), [blocks] "+r"(blocks)
            : [bias] "r"(bias), [out] "r"(out)
            : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13", "s14", "s15",
              "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24", "s25", "s26", "s27", "cc", "memory");
        k = in_size & ~7u;
    }
#endif
    if (k > 0u) { /* a vector path summed columns 0..k-1 into out */
        if (k == in_size) {
            return;
        }
        start = out;
        /* w0..w3 now point at column k of their rows. */
        w0 -= k;
        w1 -= k;
        w2 -= k;
        w3 -= k;
    }
    /* Portable path, and the in_size % 8 tail of the assembly path. */
    s0 = start[0];
    s1 = start[1];
    s2 = start[2];
    s3 = start[3];
    for (; k < in_size; k++) {
        const float xk = x[k];
        s0 += w0[k] * xk;
        s1 += w1[k] * xk;
        s2 += w2[k] * xk;
        s3 += w3[k] * xk;
    }
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
    out[3] = s3;
}

/* One row: bias + dot(w, x). x: (in_size), w: (in_size). For out_size % 4 rows. */
static float tinyae_row1_f32(const float *x, const float *w, uint32_t in_size, float bias)
{
    float s = bias;
    uint32_t k;
    for (k = 0; k < in_size; k++) {
        s += w[k] * x[k];
    }
    return s;
}

/* ------------------------------------------------------------------ layers -- */

/* v: (n), in place. Written so NaN stays NaN: (NaN < 0) is false. */
static void tinyae_activate_f32(float *v, uint32_t n, uint8_t activation)
{
    uint32_t i;
    switch (activation) {
        case TINYAE_ACT_RELU:
            for (i = 0; i < n; i++) {
                v[i] = v[i] < 0.0f ? 0.0f : v[i];
            }
            break;
        case TINYAE_ACT_SIGMOID:
            for (i = 0; i < n; i++) {
                v[i] = 1.0f / (1.0f + expf(-v[i])); /* expf overflow gives inf, so 1/inf = 0 */
            }
            break;
        case TINYAE_ACT_TANH:
            for (i = 0; i < n; i++) {
                v[i] = tanhf(v[i]);
            }
            break;
        default: /* TINYAE_ACT_LINEAR; other values were rejected by validation */
            break;
    }
}

/* out = act(W in + b). in: (in_size), out: (out_size); they must not overlap. */
static void tinyae_layer_forward_f32(const tinyae_layer_f32 *layer, const float *in, float *out)
{
    const uint32_t in_size = layer->in_size;
    const uint32_t out_size = layer->out_size;
    const float *w = layer->weights; /* (out_size, in_size) */
    uint32_t o = 0;
    for (; o + 4u <= out_size; o += 4u) {
        tinyae_rows4_f32(in, w + (size_t)o * in_size, in_size, layer->bias + o, out + o);
    }
    for (; o < out_size; o++) {
        out[o] = tinyae_row1_f32(in, w + (size_t)o * in_size, in_size, layer->bias[o]);
    }
    tinyae_activate_f32(out, out_size, layer->activation);
}

/* ------------------------------------------------------------------- model -- */

uint32_t tinyae_scratch_floats_f32(const tinyae_model_f32 *model)
{
    uint32_t need = 0;
    uint32_t i;
    if (model == NULL || model->layers == NULL) {
        return 0;
    }
    /* Intermediate i + 1 is the output of layer i, for i < layer_count - 1. */
    for (i = 0; i + 1u < model->layer_count; i++) {
        uint32_t here = model->layers[i].out_size;
        if (i + 2u < model->layer_count) {
            here += model->layers[i + 1u].out_size; /* live together with the next one */
        }
        if (here > need) {
            need = here;
        }
    }
    return need;
}

/* Everything tinyae_run_f32 checks before touching output. */
static tinyae_status tinyae_check_f32(const tinyae_model_f32 *model, const float *input, const float *output,
                                      const float *scratch, size_t scratch_len)
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
        model->layers[model->layer_count - 1u].out_size != model->output_size) {
        return TINYAE_ERR_BAD_MODEL;
    }
    for (i = 0; i < model->layer_count; i++) {
        const tinyae_layer_f32 *layer = &model->layers[i];
        if (layer->weights == NULL || layer->bias == NULL) {
            return TINYAE_ERR_NULL_ARGUMENT;
        }
        if (layer->in_size == 0u || layer->out_size == 0u || layer->activation >= TINYAE_ACT_COUNT) {
            return TINYAE_ERR_BAD_MODEL;
        }
        if (i + 1u < model->layer_count && layer->out_size != model->layers[i + 1u].in_size) {
            return TINYAE_ERR_BAD_MODEL;
        }
    }
    need = tinyae_scratch_floats_f32(model);
    if (model->scratch_floats < need) {
        return TINYAE_ERR_BAD_MODEL; /* the exported size would under-allocate */
    }
    if (scratch_len < need) {
        return TINYAE_ERR_SCRATCH_TOO_SMALL;
    }
    if (scratch == NULL && need > 0u) {
        return TINYAE_ERR_NULL_ARGUMENT;
    }
    return TINYAE_OK;
}

tinyae_status tinyae_run_f32(const tinyae_model_f32 *model, const float *input, float *output, float *scratch,
                             size_t scratch_len)
{
    const float *in = input;
    uint32_t need;
    uint16_t i;
    tinyae_status status = tinyae_check_f32(model, input, output, scratch, scratch_len);
    if (status != TINYAE_OK) {
        return status;
    }
    /* Intermediates alternate between the two ends of scratch: odd-numbered
     * ones (outputs of layers 0, 2, ...) start at scratch[0], even-numbered
     * ones end at scratch[need - 1]. Two consecutive ones together fit in
     * need floats, so a layer never overwrites its own input. */
    need = tinyae_scratch_floats_f32(model);
    for (i = 0; i < model->layer_count; i++) {
        const tinyae_layer_f32 *layer = &model->layers[i];
        float *out; /* (layer->out_size) */
        if (i + 1u == model->layer_count) {
            out = output;
        } else if (i % 2u == 0u) {
            out = scratch;
        } else {
            out = scratch + (need - layer->out_size);
        }
        tinyae_layer_forward_f32(layer, in, out);
        in = out;
    }
    return TINYAE_OK;
}

/* ---------------------------------------------------- scaling and score -- */

tinyae_status tinyae_scale_input_f32(const tinyae_model_f32 *model, const tinyae_scaling *scaling, const float *raw,
                                     float *input)
{
    uint32_t i, f = 0;
    tinyae_status status;
    if (model == NULL) {
        return TINYAE_ERR_NULL_ARGUMENT;
    }
    status = tinyae_check_scaling(scaling, model->input_size, raw, input);
    if (status != TINYAE_OK) {
        return status;
    }
    for (i = 0; i < model->input_size; i++) {
        input[i] = (raw[i] - scaling->offset[f]) * scaling->scale[f];
        f = f + 1u == scaling->feature_count ? 0u : f + 1u;
    }
    return TINYAE_OK;
}

tinyae_status tinyae_score_f32(const tinyae_model_f32 *model, const float *input, const float *output, float *score)
{
    float sum = 0.0f;
    uint32_t i;
    if (model == NULL || input == NULL || output == NULL || score == NULL) {
        return TINYAE_ERR_NULL_ARGUMENT;
    }
    if (model->input_size == 0u || model->input_size != model->output_size) {
        return TINYAE_ERR_BAD_MODEL;
    }
    for (i = 0; i < model->input_size; i++) {
        const float d = output[i] - input[i];
        sum = sum + d * d;
    }
    *score = sum / (float)model->input_size;
    return TINYAE_OK;
}

int tinyae_is_anomaly_f32(float score, float threshold)
{
    return score > threshold;
}
