/*
 * run_i8.c - the firmware's int8 path: runs one golden vector (already
 * quantized in the header) through tinyae_run_i8 with the model's own scratch
 * buffer (int32_t, sized by the header's <PREFIX>_SCRATCH_WORDS in the
 * generated fw_model_<prefix>.c). The outputs stay int8: main.c compares them
 * with the header's golden outputs through tinyae_fw_value_i8, outside the
 * timed call, with tolerance 0. Raw readings go straight to int8 with
 * tinyae_scale_input_i8; the score is tinyae_score_i8's integer sum,
 * compared with the host's exactly.
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

int tinyae_fw_scale_i8(const tinyae_fw_model *m, uint32_t vector)
{
    const size_t first = (size_t)vector * m->input_size;
    const int8_t *want = (const int8_t *)m->golden_inputs + first; /* (input_size) */
    int8_t *scaled = (int8_t *)m->scaled;                          /* (input_size) */
    int differ = 0;
    uint32_t i;
    if (tinyae_scale_input_i8((const tinyae_model_i8 *)m->model, (const tinyae_scaling *)m->scaling,
                              m->golden_raw_inputs + first, scaled) != TINYAE_OK) {
        return -1;
    }
    for (i = 0; i < m->input_size; i++) {
        differ += scaled[i] != want[i];
    }
    return differ;
}

int tinyae_fw_score_i8(const tinyae_fw_model *m, uint32_t vector, tinyae_fw_score *score)
{
    const tinyae_model_i8 *model = (const tinyae_model_i8 *)m->model;
    const tinyae_anomaly_i8 *anomaly = (const tinyae_anomaly_i8 *)m->anomaly;
    const int8_t *input = (const int8_t *)m->golden_inputs + (size_t)vector * m->input_size; /* (input_size) */
    /* In model units, for printing, as the host's score_from_sum_i8: output_scale^2 * sum / input_size. */
    const double square = (double)model->output_scale * (double)model->output_scale;
    uint64_t sum = 0;
    const int status = (int)tinyae_score_i8(model, anomaly, input, (const int8_t *)m->predicted, &sum);
    score->device_sum = sum;
    score->host_sum = m->golden_score_sums[vector];
    score->device = square * (double)sum / (double)model->input_size;
    score->host = square * (double)m->golden_score_sums[vector] / (double)model->input_size;
    score->device_flag = tinyae_is_anomaly_i8(anomaly, sum);
    score->host_flag = tinyae_is_anomaly_i8(anomaly, m->golden_score_sums[vector]);
    return status;
}
