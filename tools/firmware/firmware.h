/*
 * firmware.h - what the self-test firmware (main.c) needs from the model
 * table that `tinyae deploy` generates from DIR/manifest.json in its build
 * folder: fw_model_<prefix>.c per model (includes the model's header, owns
 * its scratch and output buffers, and for a variational encoder wraps its
 * <prefix>_logvar()) and fw_models.c (the table, the tolerance).
 *
 * main.c knows nothing about number formats: each table entry carries
 * `run`, `value`, `scale` and `score` functions for its format:
 * tinyae_fw_*_f32 (run_f32.c) or tinyae_fw_*_i8 (run_i8.c); deploy picks the
 * file, the functions and the buffer types from the manifest's
 * number_format.
 */
#ifndef TINYAE_FIRMWARE_H
#define TINYAE_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>

typedef struct tinyae_fw_model tinyae_fw_model;

/* One golden vector's anomaly score on the device and on the host. */
typedef struct {
  double device;                 /* model units */
  double host;                   /* the header's golden score (int8: from its exact sum) */
  int device_flag;               /* device > threshold (int8: device sum > threshold sum) */
  int host_flag;                 /* the same rule on the host's score */
  unsigned long long device_sum; /* int8: tinyae_score_i8's integer sum; 0 for float32 */
  unsigned long long host_sum;
} tinyae_fw_score;

struct tinyae_fw_model {
  const char *name;          /* manifest "name", e.g. "autoencoder" */
  const char *number_format; /* manifest "number_format", e.g. "float32" */
  uint32_t input_size;
  uint32_t output_size;
  uint32_t golden_count;
  uint32_t macs;              /* multiply-accumulates per inference */
  const void *model;          /* the format's model struct, e.g. tinyae_model_f32 */
  const void *golden_inputs;  /* (golden_count, input_size) in the format's input type */
  const void *golden_outputs; /* (golden_count, output_size) in the format's output type: LibTorch's
                                 outputs (float32), the host reference's (int8, to match exactly) */
  void *scratch;              /* (scratch_len) of the format's scratch type */
  size_t scratch_len;         /* the header's exact scratch size, in elements */
  void *predicted;            /* (output_size) of the format's output type: where run writes */
  /* Runs golden vector `vector` through the model into m->predicted;
   * returns a tinyae_status. The firmware counts the instructions this
   * call executes. */
  int (*run)(const tinyae_fw_model *m, uint32_t vector);
  /* Element `index` of an array of the format's output type, as a float
   * (exact for int8), for comparing and printing outside the timed run. */
  float (*value)(const void *values, size_t index);

  /* Raw readings and anomaly scores; NULL where the header has none (the
   * decoder takes no raw readings; only the autoencoder has a threshold). */
  const void *scaling;               /* tinyae_scaling */
  const float *golden_raw_inputs;    /* (golden_count, input_size) */
  void *scaled;                      /* (input_size) of the format's input type: where scale writes */
  const float *golden_scores;        /* (golden_count) the host's scores, model units */
  float threshold;                   /* <PREFIX>_ANOMALY_THRESHOLD, model units */
  const void *anomaly;               /* int8: tinyae_anomaly_i8 */
  const uint64_t *golden_score_sums; /* int8: (golden_count) the host's exact sums */
  /* Scales golden raw input `vector` into m->scaled; returns how many values
   * differ from golden input `vector` (0: bit-identical), -1 on an error. */
  int (*scale)(const tinyae_fw_model *m, uint32_t vector);
  /* The score of m->predicted (the run of golden vector `vector`) against
   * golden input `vector`; returns a tinyae_status. */
  int (*score)(const tinyae_fw_model *m, uint32_t vector, tinyae_fw_score *score);

  /* A variational encoder's log-variance head; NULL where the header has
   * none. Checked like the outputs, with the same tolerance. */
  const void *golden_logvar; /* (golden_count, output_size) in the format's output type: LibTorch's
                                (float32), the host reference's (int8) */
  void *logvar;              /* (output_size) of the format's output type: where run_logvar writes */
  /* Runs golden vector `vector` through the header's <prefix>_logvar() into
   * m->logvar; returns a tinyae_status. Not counted: it calls the format's
   * run function twice (the hidden layers, then the head). */
  int (*run_logvar)(const tinyae_fw_model *m, uint32_t vector);
};

/* Defined by the generated fw_models.c. */
extern const tinyae_fw_model *const tinyae_fw_models[]; /* (tinyae_fw_model_count) */
extern const uint32_t tinyae_fw_model_count;
extern const double tinyae_fw_tolerance; /* max |predicted - expected| per output */
extern const int tinyae_fw_exact;        /* 1: scores must equal the host's (int8), 0: within 1e-5 relative */

/* The core's instruction counter, one file per architecture
 * (counter_<arch>.c, the board's row in src/deploy/boards.cpp picks it). */
void tinyae_fw_counter_start(void);
uint32_t tinyae_fw_counter_read(void); /* ticks */
uint32_t tinyae_fw_counter_elapsed(uint32_t begin, uint32_t end);
void tinyae_fw_spin(uint32_t iterations); /* a loop of exactly 2 * iterations instructions */
uint32_t tinyae_fw_cpu_id(void);          /* Cortex-M CPUID, RISC-V misa */

/* Run and value functions, one pair per number format (run_<format>.c). */
int tinyae_fw_run_f32(const tinyae_fw_model *m, uint32_t vector);
float tinyae_fw_value_f32(const void *values, size_t index);
int tinyae_fw_run_i8(const tinyae_fw_model *m, uint32_t vector);
float tinyae_fw_value_i8(const void *values, size_t index);
int tinyae_fw_scale_f32(const tinyae_fw_model *m, uint32_t vector);
int tinyae_fw_score_f32(const tinyae_fw_model *m, uint32_t vector, tinyae_fw_score *score);
int tinyae_fw_scale_i8(const tinyae_fw_model *m, uint32_t vector);
int tinyae_fw_score_i8(const tinyae_fw_model *m, uint32_t vector, tinyae_fw_score *score);

#endif /* TINYAE_FIRMWARE_H */
