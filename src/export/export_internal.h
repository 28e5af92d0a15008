// Helpers shared by the exporter's source files (not part of the public API).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tinyae/export.h"

namespace tinyae {

// `text` if it is all hexadecimal digits (a checksum about to go into a C
// string literal); throws tinyae::Error otherwise.
std::string checked_hex(const std::string& text);

// ASCII upper case: the macro form of a symbol prefix.
std::string upper_case(std::string_view text);

// int8 (header_int8.cpp). The int8 HeaderWriter, and the step export_models()
// adds for it: calibrate the autoencoder on the first
// options.calibration_images MNIST training images, quantize it, give each
// of `models` (encoder, decoder, autoencoder) its slice and int8 golden
// vectors for golden_images (n, input; undefined or empty for none), and
// evaluate on all MNIST test images; returns quantization.json's contents.
std::unique_ptr<HeaderWriter> make_int8_header_writer();
nlohmann::ordered_json quantize_for_export(std::vector<ExportModel>& models, Autoencoder& model,
                                           const ExportOptions& options, const torch::Tensor& golden_images);

}  // namespace tinyae
