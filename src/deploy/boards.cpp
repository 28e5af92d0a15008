// The boards deploy can run the self-test firmware on: one row per board
// (see Board in include/tinyae/deploy.h), so that a new board is one row
// here; a new architecture is one family, with its startup and counter
// files in tools/firmware.
//
// Memory maps are QEMU 7.2's (`info mtree`, hw/arm/mps2-tz.c, hw/arm/nrf51_soc.c,
// hw/riscv/virt.c). The TrustZone boards (Cortex-M33, M55) start in Secure
// state and fetch their vector table from 0x10000000, so the firmware lives
// in the Secure aliases (address bit 28 set) of their memories.
#include "tinyae/common.h"
#include "tinyae/deploy.h"

namespace tinyae {

namespace {

constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kMiB = 1024 * kKiB;

// newlib with semihosting (rdimon); startup_cortex_m.c replaces crt0.
const BoardFamily kCortexM = {"arm-none-eabi-",
                              "gcc-arm-none-eabi libnewlib-arm-none-eabi",
                              {"--specs=rdimon.specs"},
                              {"startup_cortex_m.c", "counter_cortex_m.c"},
                              "firmware.ld",
                              "qemu-system-arm",
                              "qemu-system-arm",
                              48 * kKiB,
                              6 * kKiB};

// picolibc with semihosting; startup_riscv.c replaces crt0.
const BoardFamily kRiscV = {"riscv64-unknown-elf-",
                            "gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf",
                            {"--specs=picolibc.specs", "--oslib=semihost"},
                            {"startup_riscv.c", "counter_riscv.c"},
                            "firmware.ld",
                            "qemu-system-riscv32",
                            "qemu-system-misc",
                            32 * kKiB,
                            6 * kKiB};

// The MPS2 boards without TrustZone: 4 MB ZBT SSRAM1 at 0 (code, constants)
// and 4 MB SSRAM2/3 at 0x20000000.
constexpr MemoryMap kMps2 = {0x00000000, 0x00000000, 4 * kMiB, 0x20000000, 4 * kMiB};

}  // namespace

const std::vector<Board>& deploy_boards() {
  static const std::vector<Board> boards = {
      {"mps2-an386",
       "Cortex-M4F",
       &kCortexM,
       "mps2-an386",
       {},
       {"-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"},
       kMps2,
       "cortex-m4"},
      // No FPU and no DSP extension: float32 in software, int8 in portable C.
      {"mps2-an385",
       "Cortex-M3",
       &kCortexM,
       "mps2-an385",
       {},
       {"-mcpu=cortex-m3", "-mthumb", "-mfloat-abi=soft"},
       kMps2,
       "cortex-m3"},
      // QEMU's Cortex-M7 has the double-precision FPU (MVFR0 = 0x10110221).
      {"mps2-an500",
       "Cortex-M7",
       &kCortexM,
       "mps2-an500",
       {},
       {"-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"},
       kMps2,
       ""},  // dual issue, caches, branch prediction: no per-instruction table
      // SSRAM1 (4 MB) at Secure 0x10000000, SSRAM2 and 3 (2 + 2 MB) at Secure 0x38000000.
      {"mps2-an505",
       "Cortex-M33",
       &kCortexM,
       "mps2-an505",
       {},
       {"-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"},
       {0x10000000, 0x10000000, 4 * kMiB, 0x38000000, 4 * kMiB},
       "cortex-m33"},
      // The vector table in the ITCM (Secure 0x10000000, 512 KB), code and
      // constants in the 2 MB SRAM (Secure 0x11000000), RAM in the DTCM
      // (Secure 0x30000000, 512 KB). -mcpu=cortex-m55 brings Helium (MVE)
      // and the double-precision FPU.
      {"mps3-an547",
       "Cortex-M55",
       &kCortexM,
       "mps3-an547",
       {},
       {"-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard"},
       {0x10000000, 0x11000000, 2 * kMiB, 0x30000000, 512 * kKiB},
       ""},  // Helium's beats overlap instructions: no per-instruction table
      // nRF51822: 256 KB flash at 0, 16 KB RAM at 0x20000000, no FPU.
      {"microbit",
       "Cortex-M0",
       &kCortexM,
       "microbit",
       {},
       {"-mcpu=cortex-m0", "-mthumb", "-mfloat-abi=soft"},
       {0x00000000, 0x00000000, 256 * kKiB, 0x20000000, 16 * kKiB},
       "cortex-m0"},
      // ESP32-C3's ISA: the generic 32-bit core with only I, M, C (and the
      // CSRs) enabled, so a stray atomic or float instruction traps. QEMU's
      // virt machine with -bios none starts at its RAM (0x80000000): the
      // first 4 MB hold code and constants, the next 4 MB are RAM.
      {"riscv32-virt",
       "RV32IMC",
       &kRiscV,
       "virt",
       {"-bios", "none", "-cpu", "rv32,a=false,f=false,d=false,c=true,m=true"},
       {"-march=rv32imc", "-mabi=ilp32"},
       {0x80000000, 0x80000000, 4 * kMiB, 0x80400000, 4 * kMiB},
       "rv32-e31"},
      // SiFive FE310 (HiFive1): its mask ROM jumps to 0x20400000 in the
      // memory-mapped SPI flash (12 MB from there on the board), 16 KB of
      // DTIM RAM at 0x80000000. Built as RV32IMC, which its RV32IMAC runs.
      {"sifive_e",
       "RV32IMAC (SiFive E31)",
       &kRiscV,
       "sifive_e",
       {},
       {"-march=rv32imc", "-mabi=ilp32"},
       {0x20400000, 0x20400000, 12 * kMiB, 0x80000000, 16 * kKiB},
       "rv32-e31"},
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
