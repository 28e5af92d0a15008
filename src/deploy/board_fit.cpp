// Fitting models into a board's memory (see board_fit.h).
#include "board_fit.h"

#include <algorithm>

#include "tinyae/common.h"
#include "tinyae/number_format.h"

namespace tinyae {

namespace {

// Bytes of one element of a number format's inputs and outputs.
std::int64_t io_element_bytes(const NumberFormatInfo& format) {
  if (format.io_type == "float") return 4;
  if (format.io_type == "int8_t") return 1;
  throw Error("deploy does not know the size of the C type '" + std::string(format.io_type) + "'");
}

struct Footprint {
  std::int64_t flash = 0;  // weights and golden vectors
  std::int64_t ram = 0;    // scratch and the output buffer
};

Footprint model_footprint(const ManifestModel& m, std::int64_t io_bytes) {
  return {m.weights_bytes + m.golden_count * (m.input_size + m.output_size) * io_bytes,
          m.scratch_bytes + m.output_size * io_bytes};
}

std::string bytes(std::int64_t n) { return std::to_string(n) + " bytes"; }

}  // namespace

Manifest select_models(const Manifest& manifest, const std::vector<std::string>& names) {
  if (names.empty()) return manifest;
  std::string valid;
  for (const ManifestModel& m : manifest.models) valid += (valid.empty() ? "" : ", ") + m.name;
  for (const std::string& name : names) {
    const bool known = std::any_of(manifest.models.begin(), manifest.models.end(),
                                   [&](const ManifestModel& m) { return m.name == name; });
    if (!known) throw Error("--models: the folder has no model '" + name + "'; its models: " + valid);
  }
  Manifest selected = manifest;
  selected.models.clear();
  for (const ManifestModel& m : manifest.models) {
    if (std::find(names.begin(), names.end(), m.name) != names.end()) selected.models.push_back(m);
  }
  return selected;
}

void check_models_fit(const Board& board, const Manifest& manifest) {
  const std::int64_t io_bytes = io_element_bytes(number_format_info(manifest.number_format));
  const BoardFamily& family = *board.family;
  Footprint total{family.firmware_flash_bytes, family.firmware_ram_bytes + kFirmwareStackBytes};
  std::string detail;
  std::string fitting;
  for (const ManifestModel& m : manifest.models) {
    const Footprint f = model_footprint(m, io_bytes);
    total.flash += f.flash;
    total.ram += f.ram;
    detail += "\n  " + m.name + ": flash " + bytes(f.flash) + " (weights " + bytes(m.weights_bytes) +
              " + golden vectors), RAM " + bytes(f.ram) + " (scratch " + bytes(m.scratch_bytes) + " + outputs)";
    const bool alone_fits = family.firmware_flash_bytes + f.flash <= board.memory.flash_bytes &&
                            family.firmware_ram_bytes + kFirmwareStackBytes + f.ram <= board.memory.ram_bytes;
    if (alone_fits) fitting += (fitting.empty() ? "" : ", ") + m.name;
  }
  if (total.flash <= board.memory.flash_bytes && total.ram <= board.memory.ram_bytes) return;
  throw Error("the models do not fit " + board.name + " (" + board.cpu + "): they need " + bytes(total.flash) +
              " of flash (the board has " + bytes(board.memory.flash_bytes) + ") and " + bytes(total.ram) +
              " of RAM (the board has " + bytes(board.memory.ram_bytes) + "), counting " +
              bytes(family.firmware_flash_bytes) + " of flash and " +
              bytes(family.firmware_ram_bytes + kFirmwareStackBytes) +
              " of RAM for the firmware itself, its heap and stack:" + detail +
              (fitting.empty() ? "\nno model fits this board alone; export a smaller model or choose a larger board"
                               : "\nmodels that fit alone: " + fitting + "; choose with --models, e.g. --models " +
                                     fitting.substr(0, fitting.find(','))));
}

}  // namespace tinyae
