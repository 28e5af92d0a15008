// Whether an export folder's models fit a board's flash and RAM, worked out
// from manifest.json before anything is built, so that a model too big for
// the board is refused with the numbers instead of a linker error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tinyae/deploy.h"
#include "tinyae/manifest.h"

namespace tinyae {

// RAM the firmware keeps free above .data and .bss for the C library's heap
// (stdio buffers) and the stack; firmware.ld checks it at link time.
inline constexpr std::int64_t kFirmwareStackBytes = 4096;

// The manifest with only the models named in `names`, in the manifest's
// order (all of them if `names` is empty). Throws tinyae::Error naming an
// unknown model and listing the folder's models.
Manifest select_models(const Manifest& manifest, const std::vector<std::string>& names);

// Throws tinyae::Error if the models cannot fit the board: the bytes each
// needs in flash (weights, golden vectors) and RAM (scratch, outputs), the
// firmware's own, the board's, and which models would fit.
void check_models_fit(const Board& board, const Manifest& manifest);

}  // namespace tinyae
