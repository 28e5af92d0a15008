// Which C files make the self-test firmware for an export folder, and the
// ones deploy generates for it in the build folder (see
// tools/firmware/firmware.h for what they define).
#pragma once

#include <filesystem>
#include <vector>

#include "tinyae/deploy.h"
#include "tinyae/manifest.h"

namespace tinyae {

struct FirmwareSources {
  std::vector<std::filesystem::path> runtime;       // DIR/tinyae*.c: built with the strict freestanding flags
  std::vector<std::filesystem::path> firmware;      // the firmware's own files and the generated ones
  std::vector<std::filesystem::path> include_dirs;  // the firmware folder, DIR
};

// Writes fw_model_<prefix>.c per model and fw_models.c (the model table and
// `tolerance`) into build_dir; returns every source to compile, with the
// board's startup and counter files.
FirmwareSources write_firmware_sources(const Manifest& manifest, const Board& board, double tolerance,
                                       const std::filesystem::path& headers_dir,
                                       const std::filesystem::path& firmware_dir,
                                       const std::filesystem::path& build_dir);

}  // namespace tinyae
