/* The variational encoder's header on the host: for each of its golden
 * inputs, the mean (encoder_model, the chain) and the log-variance
 * (encoder_logvar(), the head beside it) as the runtime computes them, written
 * as float32 to <dir>/mean.bin and <dir>/logvar.bin for the test to compare
 * with LibTorch; the largest gap to the header's own golden arrays is printed.
 * Usage: variational_main DIR */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model_encoder.h"

static int write_floats(const char *dir, const char *name, const float *values, size_t n)
{
    char path[4096];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(values, sizeof(float), n, f) != n)
        return 1;
    return fclose(f) != 0;
}

int main(int argc, char **argv)
{
    static float scratch[ENCODER_SCRATCH_FLOATS > 0 ? ENCODER_SCRATCH_FLOATS : 1];
    static float hidden[ENCODER_HIDDEN_SIZE];
    static float mean[ENCODER_GOLDEN_COUNT * ENCODER_OUTPUT_SIZE];
    static float logvar[ENCODER_GOLDEN_COUNT * ENCODER_OUTPUT_SIZE];
    double gap_mean = 0, gap_logvar = 0;
    int i, j;
    if (argc != 2)
        return 2;
    for (i = 0; i < ENCODER_GOLDEN_COUNT; ++i) {
        float *m = mean + i * ENCODER_OUTPUT_SIZE, *lv = logvar + i * ENCODER_OUTPUT_SIZE;
        if (tinyae_run_f32(&encoder_model, encoder_golden_inputs[i], m, scratch, ENCODER_SCRATCH_FLOATS) != TINYAE_OK ||
            encoder_logvar(encoder_golden_inputs[i], hidden, lv, scratch, ENCODER_SCRATCH_FLOATS) != TINYAE_OK) {
            fprintf(stderr, "golden vector %d: the runtime refused the model\n", i);
            return 1;
        }
        for (j = 0; j < ENCODER_OUTPUT_SIZE; ++j) {
            gap_mean = fmax(gap_mean, fabs((double)m[j] - encoder_golden_outputs[i][j]));
            gap_logvar = fmax(gap_logvar, fabs((double)lv[j] - encoder_golden_logvar[i][j]));
        }
    }
    printf("against the header's golden arrays: mean max abs diff %g, log-variance max abs diff %g\n", gap_mean,
           gap_logvar);
    if (write_floats(argv[1], "mean.bin", mean, sizeof mean / sizeof *mean) ||
        write_floats(argv[1], "logvar.bin", logvar, sizeof logvar / sizeof *logvar)) {
        fprintf(stderr, "cannot write into %s\n", argv[1]);
        return 1;
    }
    return 0;
}
