/*
 * run_f32.c - the firmware's float32 path: runs one golden vector through
 * tinyae_run_f32 with the model's own scratch buffer (sized by the header's
 * <PREFIX>_SCRATCH_FLOATS in the generated fw_model_<prefix>.c).
 */
#include "firmware.h"
#include "tinyae.h"

int tinyae_fw_run_f32(const tinyae_fw_model *m, uint32_t vector)
{
    const float *inputs = (const float *)m->golden_inputs; /* (golden_count, input_size) */
    return (int)tinyae_run_f32((const tinyae_model_f32 *)m->model, inputs + (size_t)vector * m->input_size,
                               (float *)m->predicted, (float *)m->scratch, m->scratch_len);
}

float tinyae_fw_value_f32(const void *values, size_t index)
{
    return ((const float *)values)[index];
}
