/*
 * run_f32.c - the firmware's float32 path: runs one golden vector through
 * tinyae_run_f32 with the model's own scratch buffer (sized by the header's
 * <PREFIX>_SCRATCH_FLOATS in the generated fw_model_<prefix>.c), scales its
 * raw readings with tinyae_scale_input_f32 and scores the output with
 * tinyae_score_f32.
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

int tinyae_fw_scale_f32(const tinyae_fw_model *m, uint32_t vector)
{
    const size_t first = (size_t)vector * m->input_size;
    const float *want = (const float *)m->golden_inputs + first; /* (input_size) */
    float *scaled = (float *)m->scaled;                          /* (input_size) */
    int differ = 0;
    uint32_t i;
    if (tinyae_scale_input_f32((const tinyae_model_f32 *)m->model, (const tinyae_scaling *)m->scaling,
                               m->golden_raw_inputs + first, scaled) != TINYAE_OK) {
        return -1;
    }
    for (i = 0; i < m->input_size; i++) {
        differ += scaled[i] != want[i];
    }
    return differ;
}

int tinyae_fw_score_f32(const tinyae_fw_model *m, uint32_t vector, tinyae_fw_score *score)
{
    const float *input = (const float *)m->golden_inputs + (size_t)vector * m->input_size; /* (input_size) */
    float device = 0.0f;
    const int status =
        (int)tinyae_score_f32((const tinyae_model_f32 *)m->model, input, (const float *)m->predicted, &device);
    score->device = device;
    score->host = m->golden_scores[vector];
    score->device_flag = tinyae_is_anomaly_f32(device, m->threshold);
    score->host_flag = tinyae_is_anomaly_f32(m->golden_scores[vector], m->threshold);
    score->device_sum = 0;
    score->host_sum = 0;
    return status;
}
