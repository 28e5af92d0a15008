// Helpers shared by the exporter's source files (not part of the public API).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tinyae/checkpoint.h"
#include "tinyae/data_source.h"
#include "tinyae/export.h"
#include "tinyae/text.h"

namespace tinyae {

// ---- Writing the folder (output_folder.cpp) --------------------------------

// One file of the export, relative to the output folder.
struct OutputFile {
  std::filesystem::path path;
  std::string contents;
};

// Refuses an output path that is a file, lies under a file, or cannot be
// written; creates nothing.
void check_output_location(const std::filesystem::path& out_dir);

// Writes every file so that none is ever seen half-written (export_models()
// in tinyae/export.h says how), unless one would replace `input` (the
// checkpoint being exported): tinyae::Error, nothing written.
void write_output(const std::filesystem::path& out_dir, const std::vector<OutputFile>& files,
                  const std::filesystem::path& input);

// ---- Build-system packages (package.cpp, package_<name>.cpp) ----------------

// What every package manifest says of the export.
struct PackageContents {
  std::string library;                      // "tinyae_models": the library, component, module and CMake package
  std::string version;                      // package_version(): changes with the model
  std::string url;                          // the project page
  std::string description;                  // one sentence
  std::string number_format;                // "float32", "int8"
  std::string main_header;                  // "model_autoencoder.h"
  std::vector<std::string> headers;         // every header in src/, runtime first: "tinyae.h", "model_encoder.h", ...
  std::vector<std::string> sources;         // the runtime's C files in src/: "tinyae_f32.c", "tinyae_status.c"
  std::vector<std::string> model_prefixes;  // "encoder", ... (the C prefixes of the headers' symbols)
  // tinyae.h's symbols for keywords.txt: (name, "type" | "function" | "constant").
  std::vector<std::pair<std::string, std::string>> runtime_symbols;
};

// "<tinyae major>.<tinyae minor>.<n>": n is the first 7 hex digits of the
// SHA-256 of `headers_text` (every model header), so that a new model (or
// format, or golden set) is a new version, valid as semver and as a CMake
// version alike.
std::string package_version(std::string_view headers_text);

// The types, functions and TINYAE_ constants tinyae.h declares, in order,
// each with its kind: "type", "function" or "constant".
std::vector<std::pair<std::string, std::string>> runtime_symbols(std::string_view tinyae_h);

// One writer per package; each returns its files, relative to DIR.
std::vector<OutputFile> arduino_package(const PackageContents& c);     // library.properties, keywords.txt
std::vector<OutputFile> platformio_package(const PackageContents& c);  // library.json
std::vector<OutputFile> esp_idf_package(const PackageContents& c);     // CMakeLists.txt (its part), idf_component.yml
std::vector<OutputFile> zephyr_package(const PackageContents& c);      // zephyr/module.yml, CMakeLists.txt, Kconfig
std::vector<OutputFile> cmake_package(const PackageContents& c);       // CMakeLists.txt (its part), cmake/*Config.cmake

// The chosen packages' files, in table order; a file two packages write
// (CMakeLists.txt: the ESP-IDF part, which returns inside ESP-IDF, then the
// plain CMake part) is their parts joined.
std::vector<OutputFile> package_files(const std::vector<Package>& chosen, const PackageContents& contents);

// Every package file of an export (none without packages): the manifests
// for options.packages, describing `sources` (the runtime and the model
// headers as they go into src/) of `models` (encoder, decoder, autoencoder),
// and, for Arduino and PlatformIO, the example sketch.
std::vector<OutputFile> export_package_files(const ExportOptions& options, const std::vector<OutputFile>& sources,
                                             const std::vector<ModelToExport>& models, const NumberFormatInfo& format);

// ---- From the checkpoint (export.cpp) ---------------------------------------

// load_checkpoint, with a hint to train one if `model_path` does not exist.
Checkpoint load_checkpoint_to_export(const std::filesystem::path& model_path);

// The layers as plain data: weights (out, in) row-major, biases (out).
std::vector<ExportLayer> to_export_layers(const std::vector<LayerView>& views);

// "out/" names the same folder as "out", but its file name is empty.
std::filesystem::path without_trailing_separator(const std::filesystem::path& path);

// ---- The shared header layout (header_common.cpp) -------------------------

// The names a header's text is built from.
struct HeaderNames {
  std::string prefix;   // of arrays and the model struct: "digits_encoder"
  std::string macro;    // of macros and the include guard: "DIGITS_ENCODER"
  std::string scratch;  // the format's scratch-size macro: "DIGITS_ENCODER_SCRATCH_FLOATS"
};
HeaderNames header_names(const ModelToExport& model, const NumberFormatInfo& format);

// What a number format's header puts into the layout every header shares.
struct HeaderSections {
  std::string banner_tail;             // banner lines after the provenance, ending with " */\n"
  std::uint64_t scratch_elements = 0;  // value of <PREFIX>_<scratch_macro>
  std::string scratch_comment;         // the comment after it
  std::string weights_comment;         // the comment after <PREFIX>_WEIGHTS_BYTES
  std::string format_macros;           // "#define ..." lines after the common size macros
  std::string layer_arrays;            // every layer's arrays (append_array)
  std::string layer_fields;            // the layer table's comment: "in_size, out_size, ..."
  std::string layer_rows;              // one "    {...},\n" initialiser per layer
  std::string model_fields;            // model struct fields after the scratch size: ",\n    X, Y"
  std::string golden_comment;          // after "Golden vectors ...: <source>", before "(golden_count, size) */"
  std::string golden_arrays;           // golden_arrays(), and a format's own golden arrays
  std::string anomaly_part;            // after <PREFIX>_ANOMALY_THRESHOLD: the format's own threshold macros
  std::string after_model;             // after the model struct: a variational encoder's log-variance head
};

// The complete model_<name>.h: the shared layout filled with `sections`.
std::string render_header(const HeaderWriter& writer, const ModelToExport& model, const Provenance& provenance,
                          const HeaderSections& sections);

// A variational encoder's log-variance head, the parts every format shares:
// the comment that opens its section (`units`: a sentence on the output's
// numbers, or ""), and <prefix>_logvar(), which runs <prefix>_hidden_model
// then <prefix>_logvar_model with the format's types.
std::string logvar_intro(const ModelToExport& model, const NumberFormatInfo& format, const std::string& units);
std::string logvar_function(const ModelToExport& model, const NumberFormatInfo& format);

// One header writer per number format; make_header_writer() picks one.
std::unique_ptr<HeaderWriter> make_float32_header_writer();
std::unique_ptr<HeaderWriter> make_int8_header_writer();

// n values as the body of a C initialiser, per_line per line; each row of
// row_length values (the last one may be shorter) starts on a new line, with
// a "/* label <row> */" comment when label is not empty. Floats use
// float_literal(), which round-trips.
template <typename T>
void append_values(std::ostringstream& out, const T* values, std::size_t n, std::size_t row_length,
                   std::size_t per_line, const char* label, const char* indent) {
  for (std::size_t row = 0; row * row_length < n; ++row) {
    const std::size_t length = std::min(row_length, n - row * row_length);
    for (std::size_t col = 0; col < length; ++col) {
      if (col % per_line == 0) {
        out << indent;
        if (col == 0 && *label) out << "/* " << label << " " << row << " */ ";
      }
      const T value = values[row * row_length + col];
      if constexpr (std::is_floating_point_v<T>) {
        out << float_literal(value) << ",";
      } else {
        out << static_cast<long long>(value) << ",";
      }
      out << ((col % per_line == per_line - 1 || col + 1 == length) ? "\n" : " ");
    }
  }
}

// "static const <type> <name>[<dims>]< TINYAE_ALIGNED> = {" + values + "};",
// one row of row_length values per line group (label: see append_values).
template <typename T>
void append_array(std::ostringstream& out, std::string_view type, const std::string& name, const std::string& dims,
                  bool aligned, const std::vector<T>& values, std::size_t row_length, std::size_t per_line,
                  const char* label = "") {
  out << "static const " << type << " " << name << "[" << dims << "]" << (aligned ? " TINYAE_ALIGNED" : "") << " = {\n";
  append_values(out, values.data(), values.size(), row_length, per_line, label, "    ");
  out << "};\n";
}

// One golden array, static const <type> <prefix>_golden_<what>[<PREFIX>_GOLDEN_COUNT][<PREFIX><size_macro>],
// one braced row of `size` values per vector (-Wmissing-braces).
template <typename T>
void append_golden_array(std::ostringstream& out, const ModelToExport& model, std::string_view type, const char* what,
                         const char* size_macro, const std::vector<T>& values, std::int64_t size,
                         std::size_t per_line) {
  out << "static const " << type << " " << model.prefix << "_golden_" << what << "[" << upper_case(model.prefix)
      << "_GOLDEN_COUNT][" << upper_case(model.prefix) << size_macro << "] = {\n";
  for (std::int64_t i = 0; i < model.golden_count; ++i) {
    out << "    { /* vector " << i << " */\n";
    append_values(out, values.data() + i * size, static_cast<std::size_t>(size), static_cast<std::size_t>(size),
                  per_line, "", "        ");
    out << "    },\n";
  }
  out << "};\n";
}

// The two golden arrays, <prefix>_golden_inputs[<PREFIX>_GOLDEN_COUNT][<PREFIX>_INPUT_SIZE] and _outputs.
template <typename T>
std::string golden_arrays(const ModelToExport& model, std::string_view type, const std::vector<T>& inputs,
                          const std::vector<T>& outputs, std::size_t per_line) {
  std::ostringstream out;
  append_golden_array(out, model, type, "inputs", "_INPUT_SIZE", inputs, model.input_size(), per_line);
  append_golden_array(out, model, type, "outputs", "_OUTPUT_SIZE", outputs, model.output_size(), per_line);
  return out.str();
}

// A variational encoder's <prefix>_golden_logvar[<PREFIX>_GOLDEN_COUNT][<PREFIX>_OUTPUT_SIZE]:
// the log-variances of the golden inputs, computed by `source` ("LibTorch's").
template <typename T>
std::string golden_logvar_array(const ModelToExport& model, std::string_view type, const std::vector<T>& values,
                                std::size_t per_line, const std::string& source) {
  std::ostringstream out;
  out << "/* " << source << " log-variances of the golden inputs. */\n";
  append_golden_array(out, model, type, "logvar", "_OUTPUT_SIZE", values, model.output_size(), per_line);
  return out.str();
}

// ---- Input scaling and anomaly threshold (header_anomaly.cpp) -------------

// Throws tinyae::Error naming the model if its scaling does not fit its
// input (feature count, array lengths, finite values, non-zero scales), its
// raw golden inputs or golden scores do not match the golden count, or its
// threshold is negative or not finite.
void validate_anomaly_fields(const ModelToExport& model);

// <PREFIX>_FEATURE_COUNT, <prefix>_scaling_offset/_scale and <prefix>_scaling
// (tinyae_scaling), with the feature names in a comment; "" without scaling.
std::string scaling_section(const ModelToExport& model);

// <PREFIX>_ANOMALY_THRESHOLD with its rule, then `format_part` (the int8
// integer threshold); "" without a threshold.
std::string anomaly_section(const ModelToExport& model, const std::string& format_part);

// <prefix>_golden_raw_inputs and <prefix>_golden_scores, those the model has.
std::string golden_anomaly_arrays(const ModelToExport& model);

// int8 (header_int8.cpp): the step export_models() adds for it: calibrate the
// autoencoder on the first options.calibration_images training vectors of
// `data`, quantize it, give each of `models` (encoder, decoder, autoencoder)
// its slice and int8 golden vectors for golden_images (n, input; undefined or
// empty for none), and evaluate on the whole test split; returns
// quantization.json's contents. `data_name` names the data in messages.
nlohmann::ordered_json quantize_for_export(std::vector<ModelToExport>& models, Autoencoder& model,
                                           const ExportOptions& options, const torch::Tensor& golden_images,
                                           const ModelData& data, const std::string& data_name);

// anomaly_export.cpp: fills what the device needs to scale raw readings and
// flag anomalies: the input scaling (the checkpoint's) and raw golden inputs
// (the first golden_count rows of data.test_raw, described by `raw_note`) of
// the encoder and the autoencoder, and the autoencoder's threshold (on
// data.validation) and golden scores. Call after the golden vectors (and, for
// int8, quantize_for_export).
void add_anomaly_fields(std::vector<ModelToExport>& models, Autoencoder& model, const ExportOptions& options,
                        const ModelData& data, const std::string& raw_note);

// footprint.json's "anomaly" entry of a model with a threshold: the score,
// the rule, the threshold (and for int8 the integer threshold sum).
nlohmann::ordered_json anomaly_json(const ModelToExport& model);

}  // namespace tinyae
