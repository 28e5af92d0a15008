/* The negative ELBO at the mean of a variational model, recomputed from its
 * exported float32 headers alone: for each image x of IMAGES (float32,
 * (count, 784) row-major), the runtime's encoder gives the mean mu
 * (encoder_model) and the log-variance (encoder_logvar()), its decoder
 * decode(mu); then, in double,
 *   BCE = -sum_i [x_i max(log y_i, -100) + (1 - x_i) max(log(1 - y_i), -100)]
 *         (the clamp is torch's binary_cross_entropy's)
 *   KL  = 0.5 sum_j (mu_j^2 + exp(logvar_j) - 1 - logvar_j)
 * averaged over the images. Prints "reconstruction_bce B kl K
 * negative_elbo_at_mean E" for the test to compare with `tinyae eval
 * --json` (tests/export/export_parity_test.cpp).
 * Usage: variational_elbo_main IMAGES COUNT */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "model_decoder.h"
#include "model_encoder.h"

#define LARGER(a, b) ((a) > (b) ? (a) : (b))
#define SCRATCH_LEN LARGER(1, LARGER(ENCODER_SCRATCH_FLOATS, DECODER_SCRATCH_FLOATS))

/* log clamped at -100, as torch's binary_cross_entropy clamps it. */
static double clamped_log(double p)
{
    return p > 0.0 ? fmax(log(p), -100.0) : -100.0;
}

int main(int argc, char **argv)
{
    static float scratch[SCRATCH_LEN];                /* (SCRATCH_LEN) shared by both models */
    static float image[ENCODER_INPUT_SIZE];           /* (784) */
    static float hidden[ENCODER_HIDDEN_SIZE];         /* (hidden) */
    static float mean[ENCODER_OUTPUT_SIZE];           /* (latent) */
    static float logvar[ENCODER_OUTPUT_SIZE];         /* (latent) */
    static float reconstruction[DECODER_OUTPUT_SIZE]; /* (784) */
    double bce = 0.0, kl = 0.0;
    long count, n;
    int i;
    FILE *f;
    if (argc != 3 || (count = strtol(argv[2], NULL, 10)) <= 0)
        return 2;
    f = fopen(argv[1], "rb");
    if (f == NULL)
        return 2;
    for (n = 0; n < count; ++n) {
        if (fread(image, sizeof(float), ENCODER_INPUT_SIZE, f) != ENCODER_INPUT_SIZE) {
            fprintf(stderr, "%s: image %ld is missing\n", argv[1], n);
            return 1;
        }
        if (tinyae_run_f32(&encoder_model, image, mean, scratch, SCRATCH_LEN) != TINYAE_OK ||
            encoder_logvar(image, hidden, logvar, scratch, SCRATCH_LEN) != TINYAE_OK ||
            tinyae_run_f32(&decoder_model, mean, reconstruction, scratch, SCRATCH_LEN) != TINYAE_OK) {
            fprintf(stderr, "image %ld: the runtime refused a model\n", n);
            return 1;
        }
        for (i = 0; i < DECODER_OUTPUT_SIZE; ++i) {
            const double x = image[i], y = reconstruction[i];
            bce -= x * clamped_log(y) + (1.0 - x) * clamped_log(1.0 - y);
        }
        for (i = 0; i < ENCODER_OUTPUT_SIZE; ++i) {
            const double mu = mean[i], lv = logvar[i];
            kl += 0.5 * (mu * mu + exp(lv) - 1.0 - lv);
        }
    }
    fclose(f);
    printf("reconstruction_bce %.9g kl %.9g negative_elbo_at_mean %.9g\n", bce / (double)count, kl / (double)count,
           (bce + kl) / (double)count);
    return 0;
}
