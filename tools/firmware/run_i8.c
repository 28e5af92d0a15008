/*
 * run_i8.c - the firmware's int8 path: runs one golden vector (already
 * quantized in the header) through tinyae_run_i8 with the model's own scratch
 * buffer (int32_t, sized by the header's <PREFIX>_SCRATCH_WORDS in the
 * generated fw_model_<prefix>.c). The outputs stay int8: main.c compares them
 * with the header's golden outputs through tinyae_fw_value_i8, outside the
 * timed call, with tolerance 0.
 */
#include "firmware.h"
#include "tinyae.h"

int tinyae_fw_run_i8(const tinyae_fw_model *m, uint32_t vector)
{
    const int8_t *inputs = (const int8_t *)m->golden_inputs; /* (golden_count, input_size) */
    return (int)tinyae_run_i8((const tinyae_model_i8 *)m->model, inputs + (size_t)vector * m->input_size,
                              (int8_t *)m->predicted, (int32_t *)m->scratch, m->scratch_len);
}

float tinyae_fw_value_i8(const void *values, size_t index)
{
    return (float)((const int8_t *)values)[index];
}
