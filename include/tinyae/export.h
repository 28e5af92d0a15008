// The exporter: turns a checkpoint into self-contained C headers for the
// freestanding runtime (src/runtime), one per model (encoder, decoder,
// autoencoder), plus copies of the runtime sources, footprint.json and
// manifest.json. The generated files are a contract (see the header
// contract in the project notes and the tests in tests/export):
// a "do not edit" banner, a format-version check, provenance, size macros,
// static const arrays with shape comments, a layer table, the model struct and
// golden vectors (inputs and LibTorch's outputs) for an on-device self-test.
//
// What a number format needs is its row of the number-format table
// (tinyae/number_format.h); a HeaderWriter renders one format's headers
// (header_f32.cpp, header_int8.cpp) into the layout all of them share
// (header_common.cpp). Everything but export_models() is plain data and text,
// with no LibTorch work, so it can be tested on its own.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tinyae/manifest.h"  // kHeaderFormatVersion
#include "tinyae/model.h"
#include "tinyae/normalize.h"
#include "tinyae/number_format.h"
#include "tinyae/quantize.h"
#include "tinyae/scoring.h"

namespace tinyae {

// Most layers a model may have: the runtime stores layer_count in uint16_t.
inline constexpr std::size_t kMaxLayerCount = 65535;

// Largest prefix the user may give (C99 guarantees 63 significant characters
// for internal identifiers; the generated suffixes need the rest).
inline constexpr std::size_t kMaxNamePrefixLength = 32;

// One dense layer as plain data: out = activation(weights * in + bias).
struct ExportLayer {
  std::int64_t in_size = 0;
  std::int64_t out_size = 0;
  Activation activation = Activation::kLinear;
  std::vector<float> weights;  // (out_size, in_size) row-major, as torch::nn::Linear
  std::vector<float> bias;     // (out_size)
};

// The anomaly decision exported with the autoencoder. The score of a vector is
// the mean squared error between the model's input (scaled) and its output,
// in the model's units; a vector is an anomaly iff score > threshold.
struct AnomalyThreshold {
  double threshold = 0;  // in model units (float32 models compare against it as float)
  std::string rule;      // how it was chosen, for the banner and footprint.json
};

// One model to export, with its golden vectors: the input of a HeaderWriter.
struct ModelToExport {
  std::string name;    // "encoder", "decoder" or "autoencoder"
  std::string prefix;  // C prefix of every symbol: "encoder", or "<name-prefix>_encoder"
  std::vector<ExportLayer> layers;
  std::int64_t golden_count = 0;
  std::vector<float> golden_inputs;   // (golden_count, input_size)
  std::vector<float> golden_outputs;  // (golden_count, output_size)
  // int8 only: the layers quantized (this model's slice of the quantized
  // autoencoder), a line on how, and the golden vectors as the runtime sees
  // them: quantized inputs and the host reference's outputs (bit-exact).
  QuantizedNetwork quantized;
  std::string quantization_source;
  std::vector<std::int8_t> golden_inputs_i8;   // (golden_count, input_size)
  std::vector<std::int8_t> golden_outputs_i8;  // (golden_count, output_size)
  // Models that take raw readings (encoder, autoencoder; not the decoder):
  // the scaling that turns a raw vector into the model's input (input_size
  // is a multiple of its F features; element i belongs to feature i % F), and
  // the golden inputs as raw readings, so the device can check its own
  // scaling against the host's golden_inputs.
  std::optional<Scaling> input_scaling;
  std::string raw_input_note;            // what the raw readings are, for the header: "MNIST pixel values 0..255"
  std::vector<float> golden_raw_inputs;  // (golden_count, input_size); empty without input_scaling
  // Autoencoder only: the threshold and the host's score of each golden vector.
  std::optional<AnomalyThreshold> anomaly;
  // (golden_count) the host's scores in model units: float32: score_f32 of
  // golden_inputs and golden_outputs; int8: score_from_sum_i8 of the int8
  // golden vectors (tinyae/anomaly.h; the int8 header adds the exact sums).
  std::vector<double> golden_scores;
  // The encoder of a variational model only: its log-variance head, whose
  // input is what the last layer (the mean head) reads, and LibTorch's
  // log-variances of the golden inputs (golden_count, output_size); the
  // chain itself stays the mean's. int8: the hidden layers (those of
  // `quantized`) and the head quantized, and the host reference's
  // log-variances of golden_inputs_i8 (golden_count, output_size).
  std::optional<ExportLayer> logvar_head;
  std::vector<float> golden_logvar;
  QuantizedNetwork logvar_quantized;
  std::vector<std::int8_t> golden_logvar_i8;

  std::int64_t input_size() const { return layers.empty() ? 0 : layers.front().in_size; }
  std::int64_t output_size() const { return layers.empty() ? 0 : layers.back().out_size; }
};

// Where a model came from; printed in every header's banner.
struct Provenance {
  std::string checkpoint_path;
  std::string checkpoint_sha256;
  std::int64_t epoch = 0;
  std::uint64_t seed = 0;
  std::string trained_tool_version;   // tinyae version that trained the checkpoint
  std::string trained_torch_version;  // LibTorch version that trained it
  std::string data_checksum;          // MNIST checksum recorded in the checkpoint
  std::string golden_source;          // e.g. "first 4 MNIST test images of data/mnist (sha256 ...)"
  std::string export_torch_version;   // LibTorch version that computed the golden outputs
};

struct Footprint {
  std::uint64_t weights_bytes = 0;  // all weights and biases (flash)
  std::uint64_t scratch_bytes = 0;  // scratch for intermediate activations (RAM, besides input and output)
  std::uint64_t macs = 0;           // multiply-accumulates per inference
};

// ---- Pure helpers (no LibTorch) -------------------------------------------

// Minimum scratch, in elements, to run a chain of dense layers whose
// activation sizes are `sizes` (input, then each layer's output), when input
// and output live outside the scratch buffer. A layer reads all of its input
// while writing its output, so two consecutive intermediate activations must
// be live at once; placing odd-numbered intermediates at the front of the
// buffer and even-numbered ones at its back makes that bound sufficient. So:
// the largest sum of two consecutive intermediates, or the largest single
// intermediate next to the input or output; 0 for a single layer.
std::uint64_t scratch_elements(const std::vector<std::int64_t>& sizes);

// Input size followed by every layer's output size.
std::vector<std::int64_t> activation_sizes(const ModelToExport& model);

// Multiply-accumulates per inference: the sum of in * out over the layers.
std::uint64_t macs(const ModelToExport& model);

// The C prefix of a model's symbols: `model_name`, or name_prefix + "_" +
// model_name (no extra "_" if name_prefix already ends with one). Throws
// tinyae::Error if name_prefix is not a valid C identifier, is longer than
// kMaxNamePrefixLength, or starts with "tinyae" (the runtime's namespace).
std::string symbol_prefix(std::string_view name_prefix, std::string_view model_name);

// A C float literal that reads back as exactly `value` ("%.9g" plus "f", with
// ".0" added when "%.9g" prints an integer). Throws tinyae::Error for NaN or
// infinity, which have no literal.
std::string float_literal(float value);

// Text safe inside a C block comment and in an error line: control characters
// become '_'; "*/", "/*" and "??" (a trigraph start) get a space inserted.
std::string comment_safe(std::string_view text);

// Checks that the layers chain (each in_size is the previous out_size), that
// sizes fit the runtime's uint16_t, that array lengths match the shapes, that
// every value is finite, and that the prefix is a C identifier. Throws
// tinyae::Error naming the model, the layer and the problem.
void validate_export_model(const ModelToExport& model);

// ---- Header writers, one per number format --------------------------------

// Renders model_<name>.h for one number format. Facts about the format
// (runtime files, run function, element types, scratch macro) are not the
// writer's: they are its row of the number-format table, format().
class HeaderWriter {
 public:
  explicit HeaderWriter(NumberFormat format) : format_(&number_format_info(format)) {}
  virtual ~HeaderWriter() = default;
  const NumberFormatInfo& format() const { return *format_; }
  virtual Footprint footprint(const ModelToExport& model) const = 0;
  // The complete text of model_<name>.h (validates the model first).
  virtual std::string render(const ModelToExport& model, const Provenance& provenance) const = 0;

 private:
  const NumberFormatInfo* format_;
};

std::unique_ptr<HeaderWriter> make_header_writer(NumberFormat format);

// The runtime sources (src/runtime/*.h and *.c) as they were when tinyae was
// built, so that export works without the source tree.
struct EmbeddedFile {
  std::string_view name;  // e.g. "tinyae.h"
  std::string_view contents;
};
const std::vector<EmbeddedFile>& embedded_runtime_files();

// ---- Build-system packages (export --package) -------------------------------

// The build systems an export folder can be a package of. Any of them puts
// the runtime and the headers in DIR/src/ (kPackageSourceFolder) and the JSON
// reports in DIR/extras/, as the Arduino library layout wants; with none, all
// files are in DIR itself.
enum class Package { kArduino, kPlatformIO, kEspIdf, kZephyr, kCMake };

// Every package, in the order of the package table (src/export/package.cpp).
std::vector<Package> all_packages();

// "arduino", "platformio", "esp-idf", "zephyr", "cmake".
std::string package_name(Package package);

// "all", "none", or names separated by commas ("arduino,cmake"); throws
// tinyae::Error naming an unknown or repeated name.
std::vector<Package> parse_packages(std::string_view list);

// The project page the manifests name (Arduino's url, PlatformIO's
// homepage, ESP-IDF's url) unless export --url gives one: a reserved
// documentation domain, so that no real site is claimed.
inline constexpr const char* kDefaultPackageUrl = "https://example.com/tinyae-models";

// library.properties; main_header is the header the IDE's "include library"
// menu adds; version changes with the model (package_version).
std::string render_library_properties(const std::string& library_name, const std::string& version,
                                      const std::string& url, const std::string& main_header);

// examples/tinyae_autoencoder/tinyae_autoencoder.ino: runs `model`'s golden
// vectors, prints "Expected = X, predicted = Y" for every output and the
// largest difference over Serial, scales each vector's raw readings and
// prints its anomaly score, the threshold and the flag next to the host's
// (where the header has them), and times inferences with micros(). With
// `encoder`, a variational encoder (a log-variance head), it also includes
// the encoder's header and prints each golden vector's latent mean and
// log-variance next to the header's golden ones.
std::string render_arduino_sketch(const ModelToExport& model, const NumberFormatInfo& format,
                                  const ModelToExport* encoder = nullptr);

// ---- Anomaly scores and threshold (LibTorch) --------------------------------

// The anomaly score (tinyae/anomaly.h, model units) of every row of `inputs`
// (n, input_size), already scaled: float32 (int8 == nullptr): score_f32 of
// the row and LibTorch's output for it; int8: the score of the quantized row
// and the host reference's output (bit-exact with the device).
// Rows per LibTorch forward pass when scoring.
inline constexpr std::int64_t kScoreBatchRows = 1000;
std::vector<double> anomaly_scores(Autoencoder& model, const QuantizedNetwork* int8, const torch::Tensor& inputs,
                                   std::int64_t batch_rows = kScoreBatchRows);

// The threshold a device compares scores with: `rule` (tinyae/scoring.h)
// applied to the scores of the validation rows (n, input_size, scaled;
// labels: 1 anomaly, empty when all are normal). float32 thresholds are
// rounded to float, the type the device compares in, so host and device
// flag the same scores. Throws
// tinyae::Error for a rule out of range, no normal row, or labels of
// another length than the rows.
AnomalyThreshold choose_anomaly_threshold(Autoencoder& model, const QuantizedNetwork* int8,
                                          const torch::Tensor& validation, const std::vector<std::uint8_t>& labels,
                                          const ThresholdRule& rule);

// ---- The export command ---------------------------------------------------

struct ExportOptions {
  std::filesystem::path model_path;  // RUN/model.safetensors
  std::filesystem::path out_dir;     // DIR
  // The data the golden vectors, the int8 calibration and the anomaly
  // threshold come from: "" = what the checkpoint records (tinyae/data_source.h),
  // otherwise that MNIST folder or CSV file in its place. Not read when
  // golden_count is 0 and the format is float32.
  std::filesystem::path data_dir;
  std::int64_t golden_count = 4;                   // first N test vectors
  std::vector<Package> packages = all_packages();  // build systems DIR is a package for
  std::string url = kDefaultPackageUrl;            // project page in the manifests
  std::string name_prefix;                         // prepended to every symbol; "" for none
  NumberFormat format = NumberFormat::kFloat32;
  // int8: calibrate on N training vectors (quantize_autoencoder), in
  // [1, kMaxCalibrationImages]; the accuracy report (DIR/quantization.json)
  // uses the whole test split, so int8 always reads the data.
  std::int64_t calibration_images = kDefaultCalibrationImages;
  // The autoencoder's anomaly threshold, chosen on the validation split's
  // scores as the device computes them (tinyae/scoring.h: p99 by default).
  // No threshold when no data is read (float32 with golden_count 0).
  ThresholdRule threshold;
};

// What export_models() wrote for one model: its header and footprint (the
// output side; ModelToExport is the input).
struct ExportedHeader {
  std::string name;    // "encoder"
  std::string header;  // path relative to out_dir: "src/model_encoder.h" ("model_encoder.h" without packages)
  std::string prefix;
  std::int64_t input_size = 0;
  std::int64_t output_size = 0;
  std::int64_t golden_count = 0;
  Footprint footprint;
};

struct ExportResult {
  std::vector<ExportedHeader> models;        // encoder, decoder, autoencoder
  std::optional<AnomalyThreshold> anomaly;   // the autoencoder's threshold, when data was read
  std::vector<std::filesystem::path> files;  // every file written, relative to out_dir
};

// Loads the checkpoint, computes the golden vectors with LibTorch, renders
// every file in memory and only then writes them:
//  - DIR does not exist: everything goes into a hidden sibling folder that is
//    renamed to DIR at the end, so DIR appears complete or not at all;
//  - DIR is a folder: everything is first written (and fsync'ed) into a hidden
//    staging folder inside DIR, then each file is renamed over its target.
//    Files tinyae writes are replaced; any other file in DIR is left alone
//    (stale tinyae files from an earlier export with other options too).
// The output location is checked before the checkpoint is read. Throws
// tinyae::Error (missing or corrupt checkpoint, output path that is a file or
// cannot be written, bad prefix, too few test images); nothing is written then.
ExportResult export_models(const ExportOptions& options);

// ---- ONNX (export --format onnx) -------------------------------------------

// "model_encoder.onnx" for "encoder".
std::string onnx_file_name(const std::string& model_name);

// Loads the checkpoint and writes its encoder, decoder and autoencoder as
// ONNX files (onnx_file_name; tinyae/onnx.h: Gemm and activations, opset
// kOnnxOpset, float32) into options.out_dir, as export_models() writes its
// folder. Reads no data: only model_path and out_dir are used. Throws
// tinyae::Error; nothing is written then.
ExportResult export_onnx(const ExportOptions& options);

// The footprint report: one row per model with weights bytes (flash),
// scratch bytes (RAM) and MACs per inference.
std::string format_footprint_table(const std::vector<ExportedHeader>& models);

}  // namespace tinyae
