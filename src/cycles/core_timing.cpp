// The cycle tables, one per core: which mnemonics form a class and what the
// class costs, from the Arm Technical Reference Manuals with zero-wait-state
// memory. docs/cycle-model.md lists every row with its source and the
// simplifications (one cost per class, P fixed, divides at their worst case).
#include <string>

#include "tinyae/common.h"
#include "tinyae/cycles.h"

namespace tinyae {
namespace {

// Cortex-M4 TRM (ARM 100166, r0p1), 3.3.1 "Table of processor instructions"
// and 3.3.2 "Load/store timings"; FPU rows from the Cortex-M4 TRM's FPU
// chapter, "FPU instruction set" table.
std::vector<TimingRow> cortex_m4_rows() {
  using R = CycleRule;
  return {
      {"alu",
       {"mov",  "movw", "movt", "mvn",   "add",   "addw",  "adc",   "sub",  "subw",  "sbc",   "rsb",
        "adr",  "and",  "orr",  "orn",   "eor",   "bic",   "lsl",   "lsr",  "asr",   "ror",   "rrx",
        "neg",  "bfi",  "bfc",  "ubfx",  "sbfx",  "clz",   "rbit",  "rev",  "rev16", "revsh", "sxtb",
        "sxth", "uxtb", "uxth", "sxtab", "sxtah", "uxtab", "uxtah", "ssat", "usat",  "sel",   "cpy"},
       1,
       R::kFixed,
       true},
      {"compare", {"cmp", "cmn", "tst", "teq"}, 1, R::kFixed, false},
      {"nop", {"nop", "yield", "sev"}, 1, R::kFixed, false},
      {"multiply", {"mul", "mla", "mls", "smull", "umull", "smlal", "umlal", "umaal"}, 1, R::kFixed, true},
      {"divide", {"sdiv", "udiv"}, 12, R::kFixed, true},  // "2 to 12": charged at the worst case
      {"dsp-mac",
       {"smlad",   "smladx", "smlsd",   "smlsdx",  "smuad",   "smuadx",  "smusd",   "smusdx", "smlabb",
        "smlabt",  "smlatb", "smlatt",  "smulbb",  "smulbt",  "smultb",  "smultt",  "smlawb", "smlawt",
        "smulwb",  "smulwt", "smmul",   "smmulr",  "smmla",   "smmlar",  "smmls",   "smmlsr", "smlald",
        "smlaldx", "smlsld", "smlsldx", "smlalbb", "smlalbt", "smlaltb", "smlaltt", "usad8",  "usada8"},
       1,
       R::kFixed,
       true},
      {"dsp-simd",
       {"sxtb16", "uxtb16", "sxtab16", "uxtab16", "pkhbt",   "pkhtb",   "sadd16",  "ssub16",  "sadd8",
        "ssub8",  "uadd16", "usub16",  "uadd8",   "usub8",   "qadd",    "qsub",    "qdadd",   "qdsub",
        "qadd16", "qsub16", "qadd8",   "qsub8",   "shadd16", "shsub16", "uhadd16", "uhsub16", "sasx",
        "ssax",   "uasx",   "usax",    "qasx",    "qsax",    "ssat16",  "usat16"},
       1,
       R::kFixed,
       true},
      {"load",
       {"ldr", "ldrb", "ldrh", "ldrsb", "ldrsh", "ldrt", "ldrbt", "ldrht", "ldrex", "ldrexb", "ldrexh"},
       2,
       R::kLoad,
       false},
      {"store", {"str", "strb", "strh", "strt", "strbt", "strht", "strex", "strexb", "strexh"}, 2, R::kStore, false},
      {"load-double", {"ldrd"}, 3, R::kFixed, false},  // 1 + N, N = 2
      {"store-double", {"strd"}, 3, R::kFixed, false},
      {"load-multiple", {"ldm", "ldmia", "ldmfd", "ldmdb", "ldmea", "pop"}, 1, R::kPlusRegisters, false},
      {"store-multiple", {"stm", "stmia", "stmea", "stmdb", "stmfd", "push"}, 1, R::kPlusRegisters, false},
      {"branch", {"b", "bl", "bx", "blx", "cbz", "cbnz"}, 1, R::kFixed, false},  // + P when taken
      {"table-branch", {"tbb", "tbh"}, 2, R::kFixed, false},                     // + P
      {"if-then",
       {"it", "itt", "ite", "ittt", "itte", "itet", "itee", "itttt", "ittte", "ittet", "ittee", "itett", "itete",
        "iteet", "iteee"},
       1,
       R::kIfThen,
       false},
      {"barrier", {"dmb", "dsb", "isb"}, 1, R::kFixed, false},  // B = 0 for DMB/DSB; ISB's refill is its + P
      {"system", {"mrs", "msr", "cpsid", "cpsie", "svc", "bkpt", "wfi", "wfe"}, 1, R::kFixed, false},
      {"fp-load", {"vldr"}, 2, R::kFixed, false},
      {"fp-store", {"vstr"}, 2, R::kFixed, false},
      {"fp-load-multiple", {"vldm", "vldmia", "vldmdb", "vpop"}, 1, R::kPlusRegisters, false},
      {"fp-store-multiple", {"vstm", "vstmia", "vstmdb", "vpush"}, 1, R::kPlusRegisters, false},
      {"fp-arith",
       {"vadd", "vsub", "vmul", "vnmul", "vabs", "vneg", "vcmp", "vcmpe", "vcvt", "vcvtr", "vcvtb", "vcvtt", "vmov",
        "vmrs", "vmsr"},
       1,
       R::kFixed,
       false},
      {"fp-mac", {"vmla", "vmls", "vnmla", "vnmls", "vfma", "vfms", "vfnma", "vfnms"}, 3, R::kFixed, false},
      {"fp-divide", {"vdiv", "vsqrt"}, 14, R::kFixed, false},
  };
}

std::vector<CoreTiming> make_cores() {
  std::vector<CoreTiming> cores;
  cores.push_back({"cortex-m4",
                   "Cortex-M4 TRM (ARM 100166 r0p1): 3.3.1 Table of processor instructions, 3.3.2 Load/store "
                   "timings; FPU instruction set table (FPU chapter)",
                   2, 1, cortex_m4_rows()});
  // The Cortex-M33 TRM publishes no per-instruction cycle table; the M33 is
  // an in-order 3-stage core with the same DSP and single-precision FPU
  // instructions, modelled with the M4's costs (docs/cycle-model.md).
  cores.push_back({"cortex-m33",
                   "Cortex-M33 TRM (ARM 100230) gives no cycle table: Cortex-M4 TRM costs, stated as an assumption", 2,
                   1, cortex_m4_rows()});
  return cores;
}

}  // namespace

const std::vector<CoreTiming>& cycle_cores() {
  static const std::vector<CoreTiming> cores = make_cores();
  return cores;
}

const CoreTiming& find_cycle_core(std::string_view name) {
  std::string names;
  for (const CoreTiming& core : cycle_cores()) {
    if (core.name == name) return core;
    names += (names.empty() ? "" : ", ") + core.name;
  }
  throw Error("unknown core '" + std::string(name) + "' for the cycle model; known cores: " + names);
}

}  // namespace tinyae
