/* Runs the exported autoencoder on its golden vectors and compares with
 * LibTorch's outputs: exit 0 within the device tolerance (1e-4), 1 beyond,
 * 2 if the runtime refuses. Built through the plain CMake package only. */
#include <math.h>
#include <stdio.h>

#include "model_autoencoder.h"

static float scratch[AUTOENCODER_SCRATCH_FLOATS > 0 ? AUTOENCODER_SCRATCH_FLOATS : 1]; /* (scratch_floats) */
static float output[AUTOENCODER_OUTPUT_SIZE];                                          /* (output_size) */

int main(void)
{
    float worst = 0.0f;
    for (int v = 0; v < AUTOENCODER_GOLDEN_COUNT; ++v) {
        if (tinyae_run_f32(&autoencoder_model, autoencoder_golden_inputs[v], output, scratch,
                           AUTOENCODER_SCRATCH_FLOATS) != TINYAE_OK) {
            return 2;
        }
        for (int i = 0; i < AUTOENCODER_OUTPUT_SIZE; ++i) {
            float gap = fabsf(output[i] - autoencoder_golden_outputs[v][i]);
            if (!(gap <= worst))
                worst = gap; /* NaN counts as a failure */
        }
    }
    printf("consumer: %d golden vectors, max abs diff %g (tolerance 1e-4)\n", AUTOENCODER_GOLDEN_COUNT, (double)worst);
    return worst <= 1e-4f ? 0 : 1;
}
