/* parity_main.c - a test fixture (host only): runs the runtime with the
 * generated headers on many inputs and writes the outputs, so that
 * tests/export/export_parity_test.cpp can compare them with LibTorch's.
 *
 *   parity IMAGES LATENTS N OUTDIR
 *     IMAGES   N x ENCODER_INPUT_SIZE float32 (native byte order)
 *     LATENTS  N x DECODER_INPUT_SIZE float32: LibTorch's encoder outputs
 *   writes OUTDIR/encoder.bin (encoder on IMAGES), OUTDIR/decoder.bin (decoder
 *   on LATENTS), OUTDIR/autoencoder.bin (autoencoder on IMAGES), and
 *   OUTDIR/weights.bin: every layer's weights then bias, as the autoencoder's
 *   layer table holds them (for a bit-exact comparison with the checkpoint).
 * Includes all three headers in one translation unit. */
#include "model_encoder.h"
#include "model_decoder.h"
#include "model_autoencoder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LARGER(a, b) ((a) > (b) ? (a) : (b))
#define SCRATCH_LEN \
    LARGER(1, LARGER(ENCODER_SCRATCH_FLOATS, LARGER(DECODER_SCRATCH_FLOATS, AUTOENCODER_SCRATCH_FLOATS)))

static float scratch[SCRATCH_LEN]; /* (SCRATCH_LEN) */

static float *read_floats(const char *path, size_t count)
{
    float *values = (float *)malloc(count * sizeof(float));
    FILE *file = fopen(path, "rb");
    if (values == NULL || file == NULL || fread(values, sizeof(float), count, file) != count) {
        fprintf(stderr, "parity: cannot read %lu floats from %s\n", (unsigned long)count, path);
        exit(2);
    }
    fclose(file);
    return values;
}

static FILE *open_output(const char *dir, const char *name)
{
    char path[4096];
    FILE *file;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    file = fopen(path, "wb");
    if (file == NULL) {
        fprintf(stderr, "parity: cannot write %s\n", path);
        exit(2);
    }
    return file;
}

/* Runs model on n inputs (row-major, model->input_size each) into dir/name. */
static void run_all(const tinyae_model_f32 *model, const float *inputs, size_t n, const char *dir, const char *name)
{
    float *output = (float *)malloc(model->output_size * sizeof(float)); /* (output_size) */
    FILE *file = open_output(dir, name);
    size_t i;
    for (i = 0; i < n; ++i) {
        tinyae_status status = tinyae_run_f32(model, inputs + i * model->input_size, output, scratch, SCRATCH_LEN);
        if (status != TINYAE_OK) {
            fprintf(stderr, "parity: %s, input %lu: %s\n", name, (unsigned long)i, tinyae_status_string(status));
            exit(3);
        }
        fwrite(output, sizeof(float), model->output_size, file);
    }
    fclose(file);
    free(output);
}

int main(int argc, char **argv)
{
    size_t n, l;
    float *images, *latents;
    FILE *weights;
    if (argc != 5) {
        fprintf(stderr, "usage: parity IMAGES LATENTS N OUTDIR\n");
        return 2;
    }
    n = (size_t)strtoul(argv[3], NULL, 10);
    images = read_floats(argv[1], n * ENCODER_INPUT_SIZE);  /* (n, 784) */
    latents = read_floats(argv[2], n * DECODER_INPUT_SIZE); /* (n, 32) */
    run_all(&encoder_model, images, n, argv[4], "encoder.bin");
    run_all(&decoder_model, latents, n, argv[4], "decoder.bin");
    run_all(&autoencoder_model, images, n, argv[4], "autoencoder.bin");

    weights = open_output(argv[4], "weights.bin");
    for (l = 0; l < autoencoder_model.layer_count; ++l) {
        const tinyae_layer_f32 *layer = &autoencoder_model.layers[l];
        fwrite(layer->weights, sizeof(float), (size_t)layer->in_size * layer->out_size, weights);
        fwrite(layer->bias, sizeof(float), layer->out_size, weights);
    }
    fclose(weights);
    free(images);
    free(latents);
    printf("parity: ran %lu inputs through encoder, decoder and autoencoder\n", (unsigned long)n);
    return 0;
}
