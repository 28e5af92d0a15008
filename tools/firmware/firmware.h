/*
 * firmware.h - what the self-test firmware (main.c) needs from the model
 * table that `tinyae deploy` generates from DIR/manifest.json in its build
 * folder: fw_model_<prefix>.c per model (includes the model's header, owns
 * its scratch and output buffers) and fw_models.c (the table, the tolerance).
 *
 * main.c knows nothing about number formats: each table entry carries a
 * `run` function for its format. float32 uses tinyae_fw_run_f32
 * (run_f32.c); another format adds run_<format>.c and deploy picks the file,
 * the run function and the scratch type from the manifest's number_format.
 */
#ifndef TINYAE_FIRMWARE_H
#define TINYAE_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>

typedef struct tinyae_fw_model tinyae_fw_model;

struct tinyae_fw_model {
    const char *name;            /* manifest "name", e.g. "autoencoder" */
    const char *number_format;   /* manifest "number_format", e.g. "float32" */
    uint32_t input_size;
    uint32_t output_size;
    uint32_t golden_count;
    uint32_t macs;               /* multiply-accumulates per inference */
    const void *model;           /* the format's model struct, e.g. tinyae_model_f32 */
    const void *golden_inputs;   /* (golden_count, input_size) in the format's input type */
    const float *golden_outputs; /* (golden_count, output_size), LibTorch's outputs */
    void *scratch;               /* (scratch_len) of the format's scratch type */
    size_t scratch_len;          /* the header's exact scratch size, in elements */
    float *predicted;            /* (output_size) where run writes its outputs */
    /* Runs golden vector `vector` through the model into m->predicted;
     * returns a tinyae_status. The firmware counts the instructions this
     * call executes. */
    int (*run)(const tinyae_fw_model *m, uint32_t vector);
};

/* Defined by the generated fw_models.c. */
extern const tinyae_fw_model *const tinyae_fw_models[]; /* (tinyae_fw_model_count) */
extern const uint32_t tinyae_fw_model_count;
extern const double tinyae_fw_tolerance; /* max |predicted - expected| per output */

/* Run functions, one per number format (run_<format>.c). */
int tinyae_fw_run_f32(const tinyae_fw_model *m, uint32_t vector);

#endif /* TINYAE_FIRMWARE_H */
