// The int8 number scheme as plain integer and float math, without LibTorch:
// quantization parameters, float <-> int8, fixed-point multipliers and the
// requantization rule of src/runtime/tinyae.h (int8 section), and the
// order of the weights on the device. Used by
// tinyae/quantize.h (the quantizer and host reference) and tinyae/anomaly.h
// (the int8 anomaly score), which must stay torch-free.
#pragma once

#include <cstdint>
#include <vector>

namespace tinyae {

// The int8 range, and the largest |q - zero_point| of an int8 value and zero point.
inline constexpr std::int64_t kInt8Min = -128;
inline constexpr std::int64_t kInt8Max = 127;
inline constexpr std::int64_t kMaxInputDifference = 255;

// real = scale * (q - zero_point), q in [-128, 127].
struct QuantParams {
  float scale = 1.0f;
  std::int32_t zero_point = 0;
};

// Asymmetric int8 parameters for values seen in [min, max]: the range is
// widened to include 0, scale = (max - min) / 255 and the zero point puts
// min at -128 (rounded); so a range that starts at 0 (ReLU) gets zero point
// -128. A range of width 0 (all values 0) gets scale 1. Throws tinyae::Error
// for a non-finite bound or min > max.
QuantParams choose_activation_params(float min, float max);

// int8 value of x: clamp(round(x / scale) + zero_point, -128, 127) in float
// arithmetic, round half away from zero, NaN -> zero_point (as
// tinyae_quantize_input_i8).
std::int8_t quantize_value(float x, const QuantParams& params);
float dequantize_value(std::int8_t q, const QuantParams& params);  // scale * (q - zero_point), in float

// real ~= multiplier * 2^-shift.
struct FixedPointMultiplier {
  std::int32_t multiplier = 0;  // Q31: in [2^30, 2^31), or smaller when real < 2^-32 (shift is then 62)
  int shift = 62;               // in [1, 62]
};

// The nearest representable multiplier (31 significant bits) for real in
// [0, 2^30). Throws tinyae::Error for a negative, non-finite or too large value.
FixedPointMultiplier quantize_multiplier(double real);

// floor((acc * multiplier + 2^(shift-1)) / 2^shift), exactly (the product
// needs 62 bits). shift must be in [1, 62] (tinyae::Error otherwise).
std::int64_t rounding_shift(std::int32_t acc, const FixedPointMultiplier& m);

// The whole requantization step: clamp(rounding_shift + zero_point, lowest, highest).
std::int8_t requantize(std::int32_t acc, const FixedPointMultiplier& m, std::int32_t zero_point,
                       std::int32_t lowest = -128, std::int32_t highest = 127);

// Largest |bias| a layer with in_size inputs may have: the int32 sum
// bias + sum of in_size products (each |q_w * (q_x - zp)| <= 127 * 255)
// then never overflows, whatever the order of addition.
std::int64_t bias_limit(std::int64_t in_size);

// The device's int8 weight layout (src/runtime/tinyae.h, "weight layout"):
// the (out_size, in_size) row-major matrix cut into tiles of 4 rows by 4
// inputs (the last rows and inputs in smaller ones), stored a quad of rows
// after the other, each quad's tiles in input order, each tile row-major.
// The same bytes in another order, nothing added. Every int8 weight array
// that reaches a header or tinyae_run_i8 goes through here. Throws
// tinyae::Error if weights.size() != out_size * in_size.
std::vector<std::int8_t> tile_weights_i8(const std::vector<std::int8_t>& weights, std::int64_t out_size,
                                         std::int64_t in_size);

}  // namespace tinyae
