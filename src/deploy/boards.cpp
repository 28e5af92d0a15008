// The boards deploy can run the self-test firmware on: one row per board
// (see Board in include/tinyae/deploy.h), so that a new board is one row
// here, plus a linker script in tools/firmware if its memory map differs.
#include "tinyae/common.h"
#include "tinyae/deploy.h"

namespace tinyae {

const std::vector<Board>& deploy_boards() {
  static const std::vector<Board> boards = {
      {"mps2-an386",
       "Cortex-M4F",
       "arm-none-eabi-",
       "qemu-system-arm",
       "mps2-an386",
       {"-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"},
       "mps2.ld"},
      // QEMU's Cortex-M7 has the double-precision FPU (MVFR0 = 0x10110221).
      {"mps2-an500",
       "Cortex-M7",
       "arm-none-eabi-",
       "qemu-system-arm",
       "mps2-an500",
       {"-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"},
       "mps2.ld"},
  };
  return boards;
}

const Board& find_board(std::string_view name) {
  std::string valid;
  for (const Board& b : deploy_boards()) {
    if (b.name == name) return b;
    valid += (valid.empty() ? "" : ", ") + b.name + " (" + b.cpu + ")";
  }
  throw Error("unknown board '" + std::string(name) + "'; valid boards: " + valid);
}

}  // namespace tinyae
