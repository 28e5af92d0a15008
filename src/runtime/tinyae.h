/*
 * tinyae.h - the freestanding tinyae runtime: runs a dense network exported by
 * `tinyae export` on a microcontroller.
 *
 * Constraints (checked by the build and by tests/runtime): C99, -ffreestanding,
 * no malloc, no stdio, no global state; only <stdint.h>, <stddef.h> and
 * <math.h>. Every buffer is owned by the caller. Functions return a
 * tinyae_status and never print or abort. Compiles as C and as C++ (Arduino
 * sketches are C++).
 *
 * Layout of this header: common part (status, activations, attribute macros),
 * then one section per number format, each implemented by a file of its own
 * that can be shipped without the others: float32 in tinyae_f32.c, int8 in
 * tinyae_int8.c. The status strings, which every format uses, are in
 * tinyae_status.c.
 */
#ifndef TINYAE_H
#define TINYAE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the generated-header format; a generated header checks it with
 * #if and refuses to compile against another version, and tinyae_run_*
 * refuses a model struct whose format_version differs. Version 2 stores
 * int8 weights in tiles (the int8 section), which a version-1 header's
 * row-major arrays are not. */
#define TINYAE_FORMAT_VERSION 2

/* Attribute macros used by generated headers.
 * TINYAE_ALIGNED: weight arrays start on an 8-byte boundary (the float
 *   kernel's VLDMIA needs 4; 8 matches the Cortex-M7's 64-bit bus).
 * TINYAE_UNUSED: a static const array the including file may not use (e.g. the
 *   golden vectors in a sketch that only runs the model) must not warn. */
#if defined(__GNUC__) || defined(__clang__)
#define TINYAE_ALIGNED __attribute__((aligned(8)))
#define TINYAE_UNUSED __attribute__((unused))
#else
#define TINYAE_ALIGNED
#define TINYAE_UNUSED
#endif

/* ---------------------------------------------------------------- common -- */

typedef enum {
    TINYAE_OK = 0,
    TINYAE_ERR_NULL_ARGUMENT = 1,     /* a required pointer was NULL */
    TINYAE_ERR_BAD_VERSION = 2,       /* model->format_version != TINYAE_FORMAT_VERSION */
    TINYAE_ERR_BAD_MODEL = 3,         /* no layers, a zero size, layers that do not chain,
                                         sizes that disagree with the model, or an
                                         unknown activation */
    TINYAE_ERR_SCRATCH_TOO_SMALL = 4, /* scratch_len below tinyae_scratch_floats_*() */
    TINYAE_STATUS_COUNT = 5
} tinyae_status;

/* A short English description of a status; never NULL (unknown values give
 * "unknown status"). In tinyae_status.c. */
const char *tinyae_status_string(tinyae_status status);

typedef enum {
    TINYAE_ACT_LINEAR = 0,
    TINYAE_ACT_RELU = 1,
    TINYAE_ACT_SIGMOID = 2,
    TINYAE_ACT_TANH = 3,
    TINYAE_ACT_COUNT = 4
} tinyae_activation;

/* Input scaling: raw readings -> the model's input, per feature,
 *   y = (x - offset[f]) * scale[f]     in float32, f = i % feature_count
 * for element i of an input (inputs are feature_count values per time step,
 * time-major). The host applies exactly these two float32 operations (no
 * fused multiply-add can form: a subtraction then a product), so a device
 * and the host get bit-identical inputs. The exporter writes <PREFIX>_scaling
 * for models that take raw readings (MNIST: one feature, offset 0, scale
 * 1.0f / 255, raw = pixel values 0..255). Used by tinyae_scale_input_f32
 * and tinyae_scale_input_i8. */
typedef struct {
    uint16_t feature_count; /* F; divides the model's input_size */
    const float *offset;    /* (F) */
    const float *scale;     /* (F) */
} tinyae_scaling;

/* The checks both scale_input functions make: TINYAE_ERR_NULL_ARGUMENT for a
 * NULL pointer, TINYAE_ERR_BAD_MODEL for a feature count of 0 or one that
 * does not divide input_size. static inline so that each format's file
 * ships alone. */
static inline tinyae_status tinyae_check_scaling(const tinyae_scaling *scaling, uint32_t input_size, const void *raw,
                                                 const void *input)
{
    if (scaling == NULL || scaling->offset == NULL || scaling->scale == NULL || raw == NULL || input == NULL) {
        return TINYAE_ERR_NULL_ARGUMENT;
    }
    if (scaling->feature_count == 0u || input_size % scaling->feature_count != 0u) {
        return TINYAE_ERR_BAD_MODEL;
    }
    return TINYAE_OK;
}

/* Anomaly scores. The score of one input is the mean squared error of the
 * model's output against its (scaled) input, in the model's units; an input
 * is an anomaly iff score > threshold, strictly (a score equal to the
 * threshold is normal), as on the host (tinyae/anomaly.h). The exporter
 * writes the threshold as <PREFIX>_ANOMALY_THRESHOLD (float, model units);
 * int8 models compare an integer sum instead (see the int8 section). */

/* --------------------------------------------------------------- float32 -- */

/* One dense layer: out = act(weights * in + bias). */
typedef struct {
    uint16_t in_size;
    uint16_t out_size;
    uint8_t activation;   /* a tinyae_activation */
    const float *weights; /* (out_size, in_size) row-major, as torch::nn::Linear */
    const float *bias;    /* (out_size) */
} tinyae_layer_f32;

typedef struct {
    uint32_t format_version; /* TINYAE_FORMAT_VERSION */
    uint16_t layer_count;
    const tinyae_layer_f32 *layers; /* (layer_count) */
    uint16_t input_size;            /* layers[0].in_size */
    uint16_t output_size;           /* layers[layer_count-1].out_size */
    uint32_t scratch_floats;        /* tinyae_scratch_floats_f32(this), as exported */
} tinyae_model_f32;

/* Minimum scratch, in floats, that tinyae_run_f32 needs for this model's
 * intermediate activations (the outputs of every layer but the last): the
 * largest sum of the sizes of two consecutive intermediates, or the single
 * intermediate of a two-layer model; 0 for one layer. 784-128-64-32-64-128-784
 * needs 128 + 64 = 192 floats. Returns 0 for a NULL model or layer table; it
 * does not validate the model (tinyae_run_f32 does). The exporter writes the
 * same number as <PREFIX>_SCRATCH_FLOATS. */
uint32_t tinyae_scratch_floats_f32(const tinyae_model_f32 *model);

/* Runs the model on input (input_size floats) into output (output_size
 * floats), using scratch (scratch_len floats, at least
 * tinyae_scratch_floats_f32(model); may be NULL when that is 0) for the
 * intermediate activations. input, output and scratch must not overlap.
 * On an error nothing is written to output.
 *
 * Numbers: sums may be fused multiply-adds, so results can differ from a
 * plain C loop in the last bits. NaN and infinities are not checked: they
 * propagate as IEEE arithmetic defines (a NaN input gives NaN in every output
 * it reaches; ReLU maps NaN to NaN and -inf to 0; sigmoid maps +-inf to 1/0,
 * tanh to +-1). */
tinyae_status tinyae_run_f32(const tinyae_model_f32 *model, const float *input, float *output, float *scratch,
                             size_t scratch_len);

/* raw (input_size floats, sensor units) -> input (input_size floats), with
 * the scaling above. raw and input may be the same memory. */
tinyae_status tinyae_scale_input_f32(const tinyae_model_f32 *model, const tinyae_scaling *scaling, const float *raw,
                                     float *input);

/* *score = sum / input_size with, in float32 and index order i = 0, 1, ...,
 *   d = output[i] - input[i];  sum = sum + d * d
 * input: (input_size) the scaled input, output: (output_size) the model's
 * output for it. TINYAE_ERR_BAD_MODEL if input_size != output_size or is 0.
 * Compile with -ffp-contract=off (implied by ISO modes such as -std=c99, as
 * tinyae deploy and the CMake build use) for the host's exact order; a fused
 * d * d + sum changes the last bits only. */
tinyae_status tinyae_score_f32(const tinyae_model_f32 *model, const float *input, const float *output, float *score);

/* 1 if score > threshold (an anomaly), else 0; 0 for a NaN score. */
int tinyae_is_anomaly_f32(float score, float threshold);

/* ------------------------------------------------------------------ int8 --
 * Implemented in tinyae_int8.c.
 *
 * Number scheme (TensorFlow Lite's int8, so the numbers are familiar):
 *   real value = scale * (q - zero_point), q an int8.
 *   Activations (model input, every layer's output): one scale and zero point
 *     per tensor, from the min/max seen on calibration images (range widened
 *     to include 0, so 0.0 is exactly representable).
 *   Weights: symmetric per output row: zero point 0, q in [-127, 127],
 *     weight_scale[o] = max|w[o][:]| / 127, raised if the row's bias would
 *     not fit the bound below (a row of zeros with a zero bias: scale 1).
 *   Bias: int32, scale input_scale * weight_scale[o], zero point 0.
 *
 * A layer computes, for each output o, with x the int8 input:
 *   acc[o] = bias[o] + sum_i weights[o][i] * (x[i] - input_zero_point)   (int32)
 * The exporter keeps |bias| <= 2^31 - 1 - in_size * 255 * 127, so this sum
 * cannot overflow in any order of addition. A hand-edited model whose bias
 * breaks that bound is outside the contract: the int32 sum may overflow,
 * which C leaves undefined (the runtime does not check, to keep the inner
 * loop short). Then requantization, integer
 * only, with multiplier[o] * 2^-shift[o] ~= input_scale * weight_scale[o] /
 * requant_scale (multiplier a Q31 number in [2^30, 2^31) -- smaller only for
 * real multipliers below 2^-32 -- and shift in [1, 62]):
 *   r = floor((acc * multiplier + 2^(shift-1)) / 2^shift)       (exact, 64-bit)
 * i.e. acc * multiplier / 2^shift rounded to the nearest integer, ties
 * towards +infinity, in a single rounding step; then
 *   y = clamp(r + requant_zero_point, lowest, 127)
 * ReLU and linear layers fold into the clamp: lowest is the output zero point
 * for ReLU (real 0), -128 otherwise, and y is the output. Sigmoid and tanh
 * layers requantize to an intermediate int8 scale covering the
 * pre-activation (lowest = -128), then look y up in a 256-entry table the
 * exporter computed: output = lut[y + 128].
 *
 * Weight layout: weights[o][i] above is the (out_size, in_size) matrix of
 * torch::nn::Linear, stored in tiles of 4 rows by 4 inputs, so that the
 * four weights of four rows for four inputs are 16 consecutive bytes, one
 * word per row: the rows in quads (rows 4q..4q+3; the last quad has
 * out_size % 4 rows if that is not 0), quad after quad; within a quad its
 * tiles in input order (inputs 4g..4g+3; the last tile has in_size % 4
 * inputs if that is not 0); within a tile row-major. With h the rows of o's
 * quad and w the inputs of i's tile, q = o - o % 4 and g = i - i % 4:
 *   weights[o][i] is at index  q * in_size + h * g + (o - q) * w + (i - g)
 * The same out_size * in_size bytes as row-major, in another order (nothing
 * is padded); a matrix with out_size <= 4 and in_size <= 4 is row-major.
 * The exporter writes every int8 weight array this way (the host C++ side
 * keeps row-major and tiles at export: tinyae::tile_weights_i8).
 *
 * The same integer math is written independently in C++ (src/quantize), and
 * tests require the two to agree bit for bit. On cores with the DSP
 * extension (__ARM_FEATURE_DSP: Cortex-M4/M7/M33/M55, GCC or Clang) whole
 * quads of rows and blocks of 16 inputs use an SXTB16/SMLAD kernel that
 * reads a quad's tiles through one pointer (about 1.5 instructions per
 * multiply-accumulate for 784-128-64-32-64-128-784); Helium (Cortex-M55)
 * takes four rows per VLD4 of 16 words; the rest and other cores, or
 * everything with TINYAE_NO_ASM defined, use portable C. All give
 * bit-identical results (integer sums are exact, requantization is shared).
 */
/* One int8 dense layer (see the scheme above). */
typedef struct {
    uint16_t in_size;
    uint16_t out_size;
    uint8_t activation;        /* a tinyae_activation */
    int8_t input_zero_point;   /* of the input tensor (= previous layer's output_zero_point) */
    int8_t requant_zero_point; /* relu/linear: output_zero_point; sigmoid/tanh: the table's input zero point */
    int8_t output_zero_point;  /* of the output tensor */
    const int8_t *weights;     /* (out_size * in_size) in tiles (weight layout above); zero point 0 */
    const int32_t *bias;       /* (out_size) scale input_scale * weight_scale[o] */
    const int32_t *multiplier; /* (out_size) Q31, normally in [2^30, 2^31) */
    const uint8_t *shift;      /* (out_size) right shift in [1, 62] */
    const int8_t *lut;         /* (256) sigmoid/tanh: output = lut[y + 128]; NULL for relu/linear */
} tinyae_layer_i8;

typedef struct {
    uint32_t format_version; /* TINYAE_FORMAT_VERSION */
    uint16_t layer_count;
    const tinyae_layer_i8 *layers; /* (layer_count) */
    uint16_t input_size;           /* layers[0].in_size */
    uint16_t output_size;          /* layers[layer_count-1].out_size */
    uint32_t scratch_words;        /* tinyae_scratch_words_i8(this), as exported */
    float input_scale;             /* input: real = input_scale * (q - input_zero_point) */
    int8_t input_zero_point;       /* = layers[0].input_zero_point */
    float output_scale;            /* output: real = output_scale * (q - output_zero_point) */
    int8_t output_zero_point;      /* = layers[layer_count-1].output_zero_point */
} tinyae_model_i8;

/* How tinyae_run_i8 walks a layer: the int32 sums of up to
 * TINYAE_I8_BLOCK_ROWS output rows at a time, its input widened to int16 up to
 * TINYAE_I8_CHUNK_INPUTS at a time (a multiple of 16, the DSP kernel's
 * block; its loop trip is one chunk). Chosen so that the tutorial
 * autoencoder needs no more scratch than float32; the exporter's scratch
 * formula uses the same two numbers. */
#define TINYAE_I8_CHUNK_INPUTS 160u
#define TINYAE_I8_BLOCK_ROWS 64u

/* Minimum scratch, in 32-bit words (int32_t, so the buffer is word-aligned),
 * that tinyae_run_i8 needs:
 *   ceil(mid / 4) + min(max_out, TINYAE_I8_BLOCK_ROWS) + 2 * ceil(chunk / 4)
 * mid: the largest sum of two consecutive intermediates (outputs of every
 * layer but the last), or the single intermediate of a two-layer model, 0 for
 * one layer -- the int8 activations ping-pong there, as float32's do.
 * max_out: the largest out_size; one int32 sum per row of a block of rows.
 * chunk: the largest number of inputs widened at once, min(in_size,
 * TINYAE_I8_CHUNK_INPUTS) over the layers, except that a one-layer model
 * widens its whole input (so that input and output may be the same memory);
 * each widened input minus its zero point is an int16, two per word, zero-
 * padded to a multiple of 4. 784-128-64-32-64-128-784 needs 48 + 64 + 80 =
 * 192 words (768 bytes, the float32 runtime's 192 floats). Returns 0 for a
 * NULL model or layer table; does not validate (tinyae_run_i8 does). The
 * exporter writes the same number as <PREFIX>_SCRATCH_WORDS. */
uint32_t tinyae_scratch_words_i8(const tinyae_model_i8 *model);

/* Runs the model on input (input_size int8) into output (output_size int8),
 * using scratch (scratch_words words, at least tinyae_scratch_words_i8(model)).
 * Neither input nor output may overlap scratch (they may overlap each other).
 * Checks everything before touching output: on an error nothing is written.
 * TINYAE_ERR_BAD_MODEL also covers zero points that do not chain between
 * layers or disagree with the model's, and a table present for relu/linear
 * (TINYAE_ERR_NULL_ARGUMENT: missing for sigmoid/tanh). */
tinyae_status tinyae_run_i8(const tinyae_model_i8 *model, const int8_t *input, int8_t *output, int32_t *scratch,
                            size_t scratch_words);

/* The requantization step above for one accumulator, with any clamp range:
 * returns clamp(floor((acc * multiplier + 2^(shift-1)) / 2^shift) + zero_point,
 *               clamp_min, clamp_max).
 * Defined for every argument: shift is first clamped to [1, 62]; multiplier
 * may be any int32. Exposed so tests can check the rounding rule directly. */
int8_t tinyae_requantize_i8(int32_t acc, int32_t multiplier, uint8_t shift, int8_t zero_point, int8_t clamp_min,
                            int8_t clamp_max);

/* Float <-> int8 at the model's edges (input_size / output_size values):
 *   q = clamp(roundf(x / input_scale) + input_zero_point, -128, 127)
 * (roundf: ties away from zero; NaN gives the zero point, +-inf saturate);
 *   x = output_scale * (q - output_zero_point).
 * TINYAE_ERR_BAD_MODEL if the scale is not a positive finite number. */
tinyae_status tinyae_quantize_input_i8(const tinyae_model_i8 *model, const float *input, int8_t *quantized);
tinyae_status tinyae_dequantize_output_i8(const tinyae_model_i8 *model, const int8_t *quantized, float *output);

/* raw (input_size floats, sensor units) -> quantized input in one pass: the
 * float32 scaling of tinyae_scale_input_f32, then the quantization of
 * tinyae_quantize_input_i8, per element (no float buffer). */
tinyae_status tinyae_scale_input_i8(const tinyae_model_i8 *model, const tinyae_scaling *scaling, const float *raw,
                                    int8_t *input);

/* The int8 anomaly score, integers only (no FPU). Each int8 input is first
 * brought to the output's quantization with the requantization rule above,
 * not clamped to int8:
 *   r[i] = floor(((input[i] - input_zero_point) * multiplier + 2^(shift-1)) / 2^shift)
 * with multiplier * 2^-shift ~= input_scale / output_scale; then
 *   sum = sum over i of ((output[i] - output_zero_point) - r[i])^2      (uint64)
 * In model units the score is output_scale^2 * sum / input_size, and
 *   score > threshold  <=>  sum > floor(threshold * input_size / output_scale^2)
 * exactly for an integer sum; the exporter computes that floor in double
 * (<PREFIX>_ANOMALY_THRESHOLD_SUM), so the device's flag equals the host's
 * (score > threshold) except when threshold * input_size / output_scale^2
 * lies within double rounding of an integer. The exporter also checks that
 * the sum cannot overflow 64 bits for the model's scales. */
typedef struct {
    int32_t multiplier;     /* Q31, as a layer's: input_scale / output_scale ~= multiplier * 2^-shift */
    uint8_t shift;          /* in [1, 62] */
    uint64_t threshold_sum; /* an input is an anomaly iff its sum > threshold_sum */
} tinyae_anomaly_i8;

/* *sum as above for input (input_size int8, as passed to tinyae_run_i8) and
 * output (output_size int8, its result). TINYAE_ERR_BAD_MODEL if
 * input_size != output_size or is 0. */
tinyae_status tinyae_score_i8(const tinyae_model_i8 *model, const tinyae_anomaly_i8 *anomaly, const int8_t *input,
                              const int8_t *output, uint64_t *sum);

/* 1 if sum > anomaly->threshold_sum (an anomaly), else 0; 0 for NULL. */
int tinyae_is_anomaly_i8(const tinyae_anomaly_i8 *anomaly, uint64_t sum);

#ifdef __cplusplus
}
#endif

#endif /* TINYAE_H */
