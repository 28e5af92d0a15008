/*
 * tinyae.h - the freestanding tinyae runtime: runs a dense network exported by
 * `tinyae export` on a microcontroller.
 *
 * Constraints (checked by the build): C99, -ffreestanding, no malloc, no stdio,
 * no global state; only <stdint.h>, <stddef.h> and <math.h>. Every buffer is
 * owned by the caller. Functions return a tinyae_status and never print or abort.
 * Compiles as C and as C++ (Arduino sketches are C++).
 *
 * Numbers: float32 in tinyae_f32.c. NaN and infinities propagate through the
 * float path as IEEE arithmetic defines (ReLU maps NaN to NaN).
 */
#ifndef TINYAE_H
#define TINYAE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the generated-header format; a header built for another
 * version fails to compile (see TINYAE_CHECK_FORMAT in generated headers). */
#define TINYAE_FORMAT_VERSION 1

typedef enum {
    TINYAE_OK = 0,
    TINYAE_ERR_NULL_ARGUMENT = 1,    /* a required pointer was NULL */
    TINYAE_ERR_BAD_MODEL = 2,        /* inconsistent layer sizes, unknown activation, bad version */
    TINYAE_ERR_SCRATCH_TOO_SMALL = 3,/* scratch_len below the model's scratch requirement */
    TINYAE_STATUS_COUNT = 4
} tinyae_status;

/* A short English description of a status; never NULL. */
const char *tinyae_status_string(tinyae_status status);

typedef enum {
    TINYAE_ACT_LINEAR = 0,
    TINYAE_ACT_RELU = 1,
    TINYAE_ACT_SIGMOID = 2,
    TINYAE_ACT_TANH = 3,
    TINYAE_ACT_COUNT = 4
} tinyae_activation;

/* One dense layer: out = act(weights * in + bias). */
typedef struct {
    uint16_t in_size;
    uint16_t out_size;
    uint8_t activation;     /* a tinyae_activation */
    const float *weights;   /* (out_size, in_size) row-major, as torch::nn::Linear */
    const float *bias;      /* (out_size) */
} tinyae_layer_f32;

typedef struct {
    uint32_t format_version;        /* TINYAE_FORMAT_VERSION */
    uint16_t layer_count;
    const tinyae_layer_f32 *layers; /* (layer_count) */
    uint16_t input_size;            /* layers[0].in_size */
    uint16_t output_size;           /* layers[layer_count-1].out_size */
    uint32_t scratch_floats;        /* minimum scratch, in floats: see tinyae_scratch_floats() */
} tinyae_model_f32;

/* Minimum scratch, in floats, for a layer sequence: the largest sum of two
 * consecutive intermediate activations (or a single one next to the input or
 * output). The exporter writes the same number as <PREFIX>_SCRATCH_BYTES. */
uint32_t tinyae_scratch_floats_f32(const tinyae_model_f32 *model);

/* Runs the model on input (input_size floats) into output (output_size floats),
 * using scratch (scratch_len floats, at least model->scratch_floats) for the
 * intermediate activations. input and output must not overlap scratch. */
tinyae_status tinyae_run_f32(const tinyae_model_f32 *model, const float *input,
                             float *output, float *scratch, size_t scratch_len);

#ifdef __cplusplus
}
#endif

#endif /* TINYAE_H */
