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
 * refuses a model struct whose format_version differs. */
#define TINYAE_FORMAT_VERSION 1

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
 * The same integer math is written independently in C++ (src/quantize), and
 * tests require the two to agree bit for bit. On cores with the DSP
 * extension (__ARM_FEATURE_DSP: Cortex-M4/M7/M33/M55, GCC or Clang) layers
 * whose in_size is a multiple of 4 use SXTB16/SMLAD loops (about 1.4
 * instructions per multiply-accumulate for 784-128-64-32-64-128-784);
 * other layers and other cores, or everything with TINYAE_NO_ASM defined,
 * use portable C. Both give bit-identical results (integer sums are exact,
 * requantization is shared).
 */
/* One int8 dense layer (see the scheme above). */
typedef struct {
    uint16_t in_size;
    uint16_t out_size;
    uint8_t activation;        /* a tinyae_activation */
    int8_t input_zero_point;   /* of the input tensor (= previous layer's output_zero_point) */
    int8_t requant_zero_point; /* relu/linear: output_zero_point; sigmoid/tanh: the table's input zero point */
    int8_t output_zero_point;  /* of the output tensor */
    const int8_t *weights;     /* (out_size, in_size) row-major, as torch::nn::Linear; zero point 0 */
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
 * TINYAE_I8_CHUNK_INPUTS at a time (a multiple of 32, the kernel's loop
 * step). Chosen so that the tutorial autoencoder needs no more scratch than
 * float32; the exporter's scratch formula uses the same two numbers. */
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

#ifdef __cplusplus
}
#endif

#endif /* TINYAE_H */
