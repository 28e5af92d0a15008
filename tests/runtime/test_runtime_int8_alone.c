/*
 * The int8 runtime shipped alone: this program links tinyae_int8.c and
 * tinyae_status.c (built with the runtime's strict flags, see CMakeLists.txt)
 * and no tinyae_f32.c, runs a one-layer int8 model worked out by hand, and
 * exits non-zero on any difference. It passes if it links and runs.
 */
#include <stdio.h>
#include <string.h>

#include "tinyae.h"

/* (out=2, in=4) row-major, which is its tiled layout too (one tile, tinyae.h) */
static const int8_t weights[2 * 4] = {1, 2, 3, 4, -1, -1, -1, -1};
/* (out=2) */
static const int32_t bias[2] = {0, 10};
/* (out=2) real multiplier 0.5 = 2^30 / 2^31 */
static const int32_t multiplier[2] = {1073741824, 1073741824};
static const uint8_t shift[2] = {31, 31};

static const tinyae_layer_i8 layers[1] = {
    {4, 2, TINYAE_ACT_LINEAR, 0, 0, 0, weights, bias, multiplier, shift, NULL},
};
static const tinyae_model_i8 model = {TINYAE_FORMAT_VERSION, 1, layers, 4, 2, 4, 1.0f, 0, 0.5f, 0};

static int failures = 0;

static void expect(int ok, const char *what)
{
    if (!ok) {
        printf("FAILED: %s\n", what);
        failures++;
    }
}

int main(void)
{
    const float values[4] = {1.0f, 2.0f, 3.0f, 4.0f};
    int8_t input[4];
    int8_t output[2] = {0, 0};
    float dequantized[2];
    int32_t scratch[4]; /* (scratch_words) */

    expect(tinyae_scratch_words_i8(&model) == 4u, "scratch: 2 sums + 2 * ceil(4 / 4) words of widened input");
    expect(tinyae_quantize_input_i8(&model, values, input) == TINYAE_OK, "quantize the input");
    expect(input[0] == 1 && input[3] == 4, "input scale 1, zero point 0");
    /* acc = {1 + 4 + 9 + 16 + 0, -10 + 10} = {30, 0}; r = floor((acc + 1) / 2) */
    expect(tinyae_run_i8(&model, input, output, scratch, 4) == TINYAE_OK, "run");
    expect(output[0] == 15 && output[1] == 0, "outputs {15, 0}");
    expect(tinyae_dequantize_output_i8(&model, output, dequantized) == TINYAE_OK, "dequantize the output");
    expect(dequantized[0] == 7.5f && dequantized[1] == 0.0f, "output scale 0.5");
    expect(tinyae_run_i8(&model, input, output, scratch, 3) == TINYAE_ERR_SCRATCH_TOO_SMALL, "scratch too small");
    expect(strcmp(tinyae_status_string(TINYAE_OK), "ok") == 0, "status strings come with tinyae_status.c");
    expect(strcmp(tinyae_status_string(TINYAE_STATUS_COUNT), "unknown status") == 0, "unknown status");
    if (failures == 0) {
        printf("int8 runtime alone: ok\n");
    }
    return failures == 0 ? 0 : 1;
}
