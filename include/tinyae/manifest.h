// DIR/manifest.json, the contract between `tinyae export` (which writes it
// last, once every file it lists is in place) and `tinyae deploy` (which
// reads it to build the firmware): one typed struct, one to_json, one
// from_json. Torch-free, in tinyae_common, so that export, deploy and the
// fuzz target share it without depending on each other.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tinyae/number_format.h"

namespace tinyae {

inline constexpr const char* kManifestFile = "manifest.json";
// Where a packaged export (export --package) keeps the runtime and the
// headers, as the Arduino library layout wants them; a flat export keeps
// them in DIR itself.
inline constexpr const char* kPackageSourceFolder = "src";
// Version of the generated-header format: "header_format_version" here,
// TINYAE_FORMAT_VERSION in src/runtime/tinyae.h and every model header (a
// test checks that they agree).
inline constexpr int kHeaderFormatVersion = 2;

struct ManifestModel {
  std::string name;    // "encoder", "decoder", "autoencoder": a C identifier
  std::string header;  // relative to DIR: "model_encoder.h", or "src/model_encoder.h" in a package
  std::string prefix;  // C prefix of the header's symbols: a C identifier
  std::int64_t input_size = 0;
  std::int64_t output_size = 0;
  std::int64_t golden_count = 0;  // golden vectors in the header
  std::int64_t weights_bytes = 0;
  std::int64_t scratch_bytes = 0;
  std::int64_t macs = 0;  // multiply-accumulates per inference
};

struct Manifest {
  std::string tinyae_version;  // of the exporting tinyae
  std::int64_t header_format_version = kHeaderFormatVersion;
  NumberFormat number_format = NumberFormat::kFloat32;
  std::string checkpoint_sha256;  // of the exported checkpoint
  std::vector<ManifestModel> models;

  // The folder of the headers and the runtime, relative to DIR: "" or
  // kPackageSourceFolder (the folder of the first header; read_manifest
  // checks that every header is there).
  std::filesystem::path source_folder() const;

  nlohmann::ordered_json to_json() const;
  // Checks everything a reader of the folder relies on: the version this
  // tinyae reads, a known number format, names and prefixes that are C
  // identifiers, at least one model and one golden vector each, sizes that
  // are JSON integers in range, no unknown key. Throws tinyae::Error starting
  // with `where` (the file's name in quotes) and naming the field.
  static Manifest from_json(std::string_view text, const std::string& where);
};

// Reads and checks DIR/manifest.json (from_json), then the folder: every
// header a plain file name, in DIR or every one in DIR/kPackageSourceFolder,
// present, and the runtime files (tinyae.h and the number format's runtime
// source) beside them. Throws tinyae::Error naming the
// folder or file and saying how to get a good one ('tinyae export').
Manifest read_manifest(const std::filesystem::path& dir);

}  // namespace tinyae
