// The anomaly score and decision as the device computes them
// (src/runtime/tinyae.h: tinyae_score_f32, tinyae_score_i8), for the host:
// the exporter's golden scores and thresholds, and evaluation of int8 models.
// Torch-free.
//
// Score of one vector = mean squared error of the model's output against its
// (scaled) input, in the model's units. Decision: anomaly iff score >
// threshold, strictly (tinyae/metrics.h).
//
// float32: summed in float32, index order, no fused multiply-add
// (score_f32; this file is compiled with -ffp-contract=off).
//
// int8: no float on the device. Each int8 input is brought to the output's
// quantization with a fixed-point multiplier ~ input_scale / output_scale
// (the requantization rounding, without clamping), and the squared
// differences are summed exactly as an unsigned 64-bit integer. In model
// units the score is output_scale^2 * sum / n (score_from_sum_i8). The
// threshold becomes an integer, threshold_sum = floor(threshold * n /
// output_scale^2) computed in double: for an integer sum, sum >
// threshold_sum <=> sum > threshold * n / output_scale^2 <=> score >
// threshold, so the device's flag equals the host's except where that double
// expression is within rounding of an integer.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tinyae/int8_scheme.h"

namespace tinyae {

// tinyae_score_f32: sum of (output[i] - input[i])^2 in float32, i = 0..n-1,
// then divided by n in float32. input, output: (n), n > 0.
float score_f32(const float* input, const float* output, std::size_t n);

// The decision rule, for scores in model units.
inline bool is_anomaly(double score, double threshold) { return score > threshold; }

// What tinyae_anomaly_i8 holds for a model with these input and output
// parameters and n = input_size = output_size values.
struct AnomalyI8 {
  FixedPointMultiplier input_to_output;  // ~ input.scale / output.scale
  std::uint64_t threshold_sum = 0;       // anomaly iff sum > threshold_sum
};

// Throws tinyae::Error if n is 0, a scale is not a positive finite number,
// the threshold is negative or not finite, or the sum of n squared
// differences could overflow 64 bits (a requantized input beyond 2^30, as
// tinyae_rescale saturates there).
AnomalyI8 anomaly_i8(const QuantParams& input, const QuantParams& output, std::size_t n, double threshold);

// floor(threshold * n / output_scale^2), in double; values at or above 2^64
// give UINT64_MAX (no sum exceeds it: never an anomaly, as the real
// comparison says). Throws tinyae::Error for a negative or non-finite threshold.
std::uint64_t threshold_sum_i8(double threshold, std::size_t n, const QuantParams& output);

// tinyae_score_i8: the sum over i of ((output[i] - output.zero_point) -
// rounding_shift(input[i] - input.zero_point, m))^2. input, output: (n).
std::uint64_t score_sum_i8(const std::int8_t* input, const std::int8_t* output, std::size_t n,
                           const QuantParams& input_params, const QuantParams& output_params,
                           const FixedPointMultiplier& m);

// The sum in model units: output_scale^2 * sum / n, in double.
double score_from_sum_i8(std::uint64_t sum, std::size_t n, const QuantParams& output);

}  // namespace tinyae
