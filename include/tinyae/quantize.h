// Post-training int8 quantization of a dense network, and a host reference of
// the runtime's integer math.
//
// The number scheme is TensorFlow Lite's int8 and is specified in the int8
// section of src/runtime/tinyae.h: real = scale * (q - zero_point);
// activations asymmetric per tensor (calibrated min/max, widened to include
// 0); weights symmetric per output row; int32 biases; requantization with a
// Q31 multiplier and a right shift per output row,
//   r = floor((acc * multiplier + 2^(shift-1)) / 2^shift)
// (one rounding step, ties towards +infinity); ReLU/linear fold into the
// clamp; sigmoid/tanh go through a 256-entry table per layer.
//
// Everything below run_reference() is written independently of the C runtime
// (src/runtime/tinyae_int8.c) -- same rules, different code -- so that tests
// comparing the two catch a mistake in either. The exporter writes a
// QuantizedNetwork as int8 headers, with this reference's outputs as golden
// vectors: the device must reproduce them bit for bit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "tinyae/int8_scheme.h"  // QuantParams, FixedPointMultiplier, requantize
#include "tinyae/model.h"

namespace tinyae {

// How the runtime walks an int8 layer (TINYAE_I8_CHUNK_INPUTS and
// TINYAE_I8_BLOCK_ROWS in tinyae.h; tests check the scratch sizes agree):
// inputs widened to int16 at a time, and output rows summed at a time.
inline constexpr std::uint64_t kChunkInputsI8 = 160;
inline constexpr std::uint64_t kBlockRowsI8 = 64;

inline constexpr std::int64_t kDefaultCalibrationImages = 1000;
inline constexpr std::int64_t kMaxCalibrationImages = 60000;  // the MNIST training set

// Sigmoid and tanh layers requantize their pre-activation to an int8 table
// index. The table's input range is the calibrated pre-activation range cut
// to where the function still changes at int8 resolution (sigmoid(8) is
// within 1/2981 of 1, tanh(4) within 1/1491 of 1): beyond it the output
// would be the same table entry anyway, and a narrower range gives the
// steep middle more entries.
inline constexpr double kSigmoidTableLimit = 8.0;
inline constexpr double kTanhTableLimit = 4.0;

// ---- A quantized network -------------------------------------------------

struct QuantizedLayer {
  std::int64_t in_size = 0;
  std::int64_t out_size = 0;
  Activation activation = Activation::kRelu;
  QuantParams input;    // the input tensor (= the previous layer's output)
  QuantParams output;   // the output tensor
  QuantParams requant;  // what the sums are requantized to: output for relu/linear, the table's input for sigmoid/tanh
  std::vector<std::int8_t> weights;               // (out_size, in_size) row-major, zero point 0
  std::vector<double> weight_scales;              // (out_size)
  std::vector<std::int32_t> bias;                 // (out_size) scale input.scale * weight_scales[o]
  std::vector<FixedPointMultiplier> multipliers;  // (out_size) ~ input.scale * weight_scales[o] / requant.scale
  std::vector<std::int8_t> table;                 // (256) sigmoid/tanh: output = table[y + 128]; empty otherwise

  // Requantized values are clamped to [lowest(), 127]: the output zero point
  // for ReLU (so negative sums become real 0), -128 otherwise.
  std::int32_t lowest() const;
};

struct QuantizedNetwork {
  std::vector<QuantizedLayer> layers;

  std::int64_t input_size() const;
  std::int64_t output_size() const;
  const QuantParams& input() const;   // of layers.front()
  const QuantParams& output() const;  // of layers.back()
  // Layers [first, first + count) as a network of their own (the encoder and
  // the decoder of a quantized autoencoder share its latent parameters, so
  // decoder(encoder(x)) == autoencoder(x) bit for bit).
  QuantizedNetwork slice(std::size_t first, std::size_t count) const;

  std::uint64_t macs() const;
  // Flash for the constants the runtime reads: int8 weights, int32 biases and
  // multipliers, uint8 shifts, 256-byte tables.
  std::uint64_t weights_bytes() const;
  // tinyae_scratch_words_i8 (the formula and why are in tinyae.h):
  // ceil(mid / 4) + min(max out_size, kBlockRowsI8) + 2 * ceil(chunk / 4).
  std::uint64_t scratch_words() const;

  // Throws tinyae::Error naming the layer if the layers do not chain (sizes,
  // zero points), arrays do not match the sizes, a value is out of range
  // (weights -128, |bias| > bias_limit, shift outside [1, 62]) or a table is
  // missing or extra.
  void validate() const;
};

// ---- Host reference inference ----------------------------------------------

// Runs `count` inputs (count * input_size int8, row-major) through the
// network with the scheme's integer math; returns count * output_size int8.
std::vector<std::int8_t> run_reference(const QuantizedNetwork& network, const std::int8_t* inputs, std::int64_t count);

// (n, size) float tensor -> n * size int8 with quantize_value, and back.
std::vector<std::int8_t> quantize_tensor(const torch::Tensor& values, const QuantParams& params);
torch::Tensor dequantize_tensor(const std::vector<std::int8_t>& values, std::int64_t rows, std::int64_t cols,
                                const QuantParams& params);

// ---- Calibration and quantization (LibTorch) --------------------------------

struct TensorRange {
  float min = 0.0f;
  float max = 0.0f;
};

// Ranges seen on the calibration images, per tensor.
struct Calibration {
  std::int64_t images = 0;
  TensorRange input;                        // the network's input
  std::vector<TensorRange> pre_activation;  // per layer: weights * in + bias
  std::vector<TensorRange> output;          // per layer: activation(pre_activation)
};

// The encoder's layers followed by the decoder's: the whole autoencoder as
// one chain (6 layers for 784-128-64-32).
std::vector<LayerView> autoencoder_layers(const Autoencoder& model);

// Runs images (n, input) through the float layers, in batches, recording
// every tensor's min and max. Throws tinyae::Error on a shape mismatch, an
// empty batch or a non-finite activation.
Calibration calibrate(const std::vector<LayerView>& layers, const torch::Tensor& images);

// Share of the calibrated input span added below and above it when the
// inputs are not bounded by construction (CSV readings, unlike MNIST pixels):
// a fault beyond the training range would otherwise be clipped into it and
// reconstruct well, hiding the anomaly it is. The input step grows by the
// same share twice over (1.2x). Measured on the sensor readings (README):
// int8 AUC on mote 1 is 0.69 without headroom, 0.99 with 0.05 to 1; on
// mote 4 it falls from 0.98 towards 0.94 as the headroom grows past 0.2.
inline constexpr double kUnboundedInputHeadroom = 0.1;

// The int8 network of an autoencoder, as export writes it and eval scores
// with it. With `bounded_input` (MNIST: pixels in 0..1, the training split in
// shuffled order) it calibrates on the first `vectors` rows of `train`
// (n, input). Otherwise (CSV readings, in time order, whose first rows would
// cover one sensor's first days only) on `vectors` rows spread evenly over
// it, and the input range is widened by kUnboundedInputHeadroom. Throws
// tinyae::Error naming `data_name` if train holds fewer than `vectors` rows.
QuantizedNetwork quantize_autoencoder(const Autoencoder& model, const torch::Tensor& train, std::int64_t vectors,
                                      bool bounded_input, const std::string& data_name);

// Quantizes the layers with the calibrated ranges. Per output row o of a
// layer with input scale s_in and bias limit B (bias_limit(in_size)):
//   weight_scales[o] = max(max|w[o][:]| / 127, |b[o]| / (s_in * B)), or 1 if that is 0
// (the second term only matters for rows whose weights are tiny next to
// their bias: it keeps the int32 bias in range); weights[o][i] =
// round(w / weight_scales[o]); bias[o] = round(b / (s_in * weight_scales[o]))
// clamped to +-B. Throws tinyae::Error if the calibration does not match the
// layers or a multiplier is out of range.
QuantizedNetwork quantize_network(const std::vector<LayerView>& layers, const Calibration& calibration);

// Accuracy of the int8 autoencoder against the float one, on images (n, input):
// MSE of each reconstruction against the original images, and the largest
// error of the dequantized int8 latent (output of layer encoder_layers - 1)
// against the float latent.
struct QuantizationReport {
  std::int64_t images = 0;
  std::int64_t calibration_images = 0;
  double float_mse = 0.0;
  double int8_mse = 0.0;
  double ratio = 0.0;  // int8_mse / float_mse
  double latent_max_abs_err = 0.0;
  // {"float_mse", "int8_mse", "ratio", "latent_max_abs_err", "images", "calibration_images"}
  nlohmann::ordered_json to_json() const;
};

QuantizationReport evaluate_quantization(Autoencoder& model, const QuantizedNetwork& network,
                                         std::size_t encoder_layers, const torch::Tensor& images);

// A table of the chosen parameters, one row per layer (input, table and
// output scale/zero point, weight scale range, shift range), for the
// exporter's log.
std::string describe_quantization(const QuantizedNetwork& network);

}  // namespace tinyae
