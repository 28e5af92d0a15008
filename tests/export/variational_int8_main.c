/* The int8 variational encoder's header on the host: for each golden input,
 * encoder_logvar() must reproduce the header's encoder_golden_logvar (the
 * host reference's) and the chain encoder_golden_outputs (the mean), bit for
 * bit. Prints the count of differing values; exit status 1 if any. */
#include <stdio.h>

#include "model_encoder.h"

int main(void)
{
    static int32_t scratch[ENCODER_SCRATCH_WORDS];
    static int8_t hidden[ENCODER_HIDDEN_SIZE];
    int8_t mean[ENCODER_OUTPUT_SIZE], logvar[ENCODER_OUTPUT_SIZE];
    int i, j, differing = 0;
    for (i = 0; i < ENCODER_GOLDEN_COUNT; ++i) {
        if (tinyae_run_i8(&encoder_model, encoder_golden_inputs[i], mean, scratch, ENCODER_SCRATCH_WORDS) !=
                TINYAE_OK ||
            encoder_logvar(encoder_golden_inputs[i], hidden, logvar, scratch, ENCODER_SCRATCH_WORDS) != TINYAE_OK) {
            fprintf(stderr, "golden vector %d: the runtime refused the model\n", i);
            return 1;
        }
        for (j = 0; j < ENCODER_OUTPUT_SIZE; ++j) {
            differing += mean[j] != encoder_golden_outputs[i][j];
            differing += logvar[j] != encoder_golden_logvar[i][j];
        }
    }
    printf("int8 variational encoder: %d of %d values differ from the host reference\n", differing,
           2 * ENCODER_GOLDEN_COUNT * ENCODER_OUTPUT_SIZE);
    return differing != 0;
}
