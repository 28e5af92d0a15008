/* headers_together.c - a test fixture: includes the three generated headers in
 * one translation unit (every symbol is prefixed, so they must not clash) and
 * runs each model on its golden vectors. Exit status: 0 when every output is
 * within TOLERANCE of LibTorch's, otherwise the number of models that failed.
 * No stdio, so it also compiles freestanding for a Cortex-M. Compiled as C99
 * and as C++ with -Wall -Wextra -Werror -pedantic by tests/export. */
#include "model_encoder.h"
#include "model_decoder.h"
#include "model_autoencoder.h"

#include <math.h>

#define TOLERANCE 1e-5f
#define LARGER(a, b) ((a) > (b) ? (a) : (b))
#define SCRATCH_LEN \
    LARGER(1, LARGER(ENCODER_SCRATCH_FLOATS, LARGER(DECODER_SCRATCH_FLOATS, AUTOENCODER_SCRATCH_FLOATS)))
#define OUTPUT_LEN LARGER(ENCODER_OUTPUT_SIZE, LARGER(DECODER_OUTPUT_SIZE, AUTOENCODER_OUTPUT_SIZE))

static float scratch[SCRATCH_LEN]; /* (SCRATCH_LEN) shared by the three models */
static float output[OUTPUT_LEN];   /* (OUTPUT_LEN) */

/* 0 if model(input) matches expected (output_size floats) within TOLERANCE. */
static int golden_vector_fails(const tinyae_model_f32 *model, const float *input, const float *expected)
{
    uint16_t i;
    if (tinyae_run_f32(model, input, output, scratch, SCRATCH_LEN) != TINYAE_OK)
        return 1;
    for (i = 0; i < model->output_size; ++i) {
        if (!(fabsf(output[i] - expected[i]) <= TOLERANCE))
            return 1; /* NaN fails too */
    }
    return 0;
}

#define MODEL_FAILS(prefix, MACRO, failed)                                                                     \
    do {                                                                                                       \
        int v_;                                                                                                \
        for (v_ = 0; v_ < MACRO##_GOLDEN_COUNT; ++v_) {                                                        \
            if (golden_vector_fails(&prefix##_model, prefix##_golden_inputs[v_], prefix##_golden_outputs[v_])) \
                (failed) = 1;                                                                                  \
        }                                                                                                      \
    } while (0)

int main(void)
{
    int encoder_failed = 0, decoder_failed = 0, autoencoder_failed = 0;
    MODEL_FAILS(encoder, ENCODER, encoder_failed);
    MODEL_FAILS(decoder, DECODER, decoder_failed);
    MODEL_FAILS(autoencoder, AUTOENCODER, autoencoder_failed);
    return encoder_failed + decoder_failed + autoencoder_failed;
}
