// The cycle tables, one per core: which mnemonics form a class and what the
// class costs, from the Arm Technical Reference Manuals (and, for RV32,
// SiFive's E31 manual) with zero-wait-state memory. docs/cycle-model.md lists
// every row with its source and the simplifications (one cost per class, P
// fixed, multiplies and divides at their worst case).
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

// The M4's rows (the M33 TRM gives no cycle table) plus the FPv5
// instructions the M4 lacks, charged like the M4's other FPU data
// processing: 1 cycle (an assumption, docs/cycle-model.md).
std::vector<TimingRow> cortex_m33_rows() {
  std::vector<TimingRow> rows = cortex_m4_rows();
  rows.push_back({"fp-arith-v8",
                  {"vsel", "vmaxnm", "vminnm", "vrinta", "vrintn", "vrintp", "vrintm", "vrintx", "vrintz", "vrintr",
                   "vcvta", "vcvtn", "vcvtp", "vcvtm"},
                  1,
                  CycleRule::kFixed,
                  false});
  return rows;
}

// Cortex-M3 TRM (ARM DDI 0337, r2p1), 3.3 "Instruction set summary": the
// M4's rows without the DSP and FPU instructions, and slower multiplies:
// MLA/MLS 2, the long multiplies "3 to 5" and "4 to 7" cycles (early
// termination), charged at their worst case like the divides.
std::vector<TimingRow> cortex_m3_rows() {
  std::vector<TimingRow> rows;
  for (TimingRow& row : cortex_m4_rows()) {
    const std::string& c = row.instruction_class;
    if (c.rfind("dsp", 0) == 0 || c.rfind("fp-", 0) == 0) continue;
    if (c == "multiply") continue;
    rows.push_back(std::move(row));
  }
  rows.push_back({"multiply", {"mul"}, 1, CycleRule::kFixed, true});
  rows.push_back({"multiply-accumulate", {"mla", "mls"}, 2, CycleRule::kFixed, true});
  rows.push_back({"multiply-long", {"smull", "umull"}, 5, CycleRule::kFixed, true});
  rows.push_back({"multiply-long-accumulate", {"smlal", "umlal"}, 7, CycleRule::kFixed, true});
  // SSAT/USAT are in the M3 (alu row); the M4's DSP rows are not.
  return rows;
}

// Cortex-M0 TRM (ARM DDI 0432C), 3.3 "Instruction set summary", Table 3-1.
// No load pipelining, no IT, no 32-bit data processing. MULS is 1 cycle with
// the fast multiplier, 32 with the small one: the silicon vendor chooses;
// the table assumes the fast one.
std::vector<TimingRow> cortex_m0_rows() {
  using R = CycleRule;
  return {
      {"alu",
       {"mov", "mvn", "add", "adc", "sub",  "sbc",  "rsb",  "neg",  "adr", "and",   "orr",   "eor", "bic",
        "lsl", "lsr", "asr", "ror", "sxtb", "sxth", "uxtb", "uxth", "rev", "rev16", "revsh", "cpy"},
       1,
       R::kFixed,
       true},
      {"compare", {"cmp", "cmn", "tst"}, 1, R::kFixed, false},
      {"nop", {"nop", "yield", "sev"}, 1, R::kFixed, false},
      {"multiply", {"mul"}, 1, R::kFixed, true},  // "1 or 32": the fast multiplier assumed
      {"load", {"ldr", "ldrb", "ldrh", "ldrsb", "ldrsh"}, 2, R::kFixed, false},
      {"store", {"str", "strb", "strh"}, 2, R::kFixed, false},
      {"load-multiple", {"ldm", "ldmia", "ldmfd", "pop"}, 1, R::kPlusRegisters, false},  // POP with PC: 4 + N
      {"store-multiple", {"stm", "stmia", "stmea", "push"}, 1, R::kPlusRegisters, false},
      {"branch", {"b", "bx", "blx"}, 1, R::kFixed, false},  // taken: 3
      {"call", {"bl"}, 2, R::kFixed, false},                // 4 (with P)
      {"barrier", {"dmb", "dsb", "isb"}, 4, R::kFixed, false},
      {"system-register", {"mrs", "msr"}, 4, R::kFixed, false},
      {"wait", {"wfi", "wfe"}, 2, R::kFixed, false},
      {"system", {"cpsid", "cpsie", "svc", "bkpt", "udf"}, 1, R::kFixed, false},
  };
}

// A simple in-order RV32IMC core with SiFive E31's published figures (E31
// Core Complex Manual, "Execution Pipeline" and "Instruction Fetch Unit"):
// one instruction a cycle, fully bypassed; LW results ready after 2 cycles,
// LB/LBU/LH/LHU after 3, CSR reads after 3, multiplies after 5, divides after
// 2 to 33 (charged 33); a mispredicted branch costs 3 cycles. Names as
// objdump prints them (pseudo-instructions included: ADDI shows as "add",
// JAL x0 as "j").
std::vector<TimingRow> rv32_e31_rows() {
  using R = CycleRule;
  return {
      {"alu",
       {"add", "addi", "sub", "and",  "andi", "or",   "ori",  "xor",   "xori", "sll",   "slli",
        "srl", "srli", "sra", "srai", "slt",  "slti", "sltu", "sltiu", "lui",  "auipc", "li",
        "mv",  "not",  "neg", "seqz", "snez", "sltz", "sgtz", "zext",  "sext"},
       1,
       R::kFixed,
       true,
       1},
      {"nop", {"nop"}, 1, R::kFixed, false, 1},
      {"multiply", {"mul", "mulh", "mulhu", "mulhsu"}, 1, R::kFixed, true, 5},
      {"divide", {"div", "divu", "rem", "remu"}, 1, R::kFixed, true, 33},
      {"load-word", {"lw"}, 1, R::kFixed, true, 2},
      {"load-byte-half", {"lb", "lbu", "lh", "lhu"}, 1, R::kFixed, true, 3},
      {"store", {"sw", "sh", "sb"}, 1, R::kFixed, false, 1},
      {"branch",
       {"beq", "bne", "blt", "bge", "bltu", "bgeu", "beqz", "bnez", "blez", "bgez", "bltz", "bgtz", "bgt", "ble",
        "bgtu", "bleu"},
       1,
       R::kPredicted,
       false,
       1},
      {"jump", {"j", "jal", "jr", "jalr", "ret", "call", "tail"}, 1, R::kFixed, false, 1},
      {"csr",
       {"csrr",     "csrw",      "csrs",       "csrc",   "csrrw",   "csrrs",  "csrrc",
        "csrwi",    "csrsi",     "csrci",      "csrrwi", "csrrsi",  "csrrci", "rdcycle",
        "rdcycleh", "rdinstret", "rdinstreth", "rdtime", "rdtimeh", "frcsr",  "fscsr"},
       1,
       R::kFixed,
       true,
       3},
      {"system", {"ecall", "ebreak", "fence", "wfi", "mret", "unimp"}, 1, R::kFixed, false, 1},
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
                   1, cortex_m33_rows()});
  cores.push_back({"cortex-m3",
                   "Cortex-M3 TRM (ARM DDI 0337 r2p1): 3.3 Instruction set summary; multiplies and divides at their "
                   "worst case",
                   2, 1, cortex_m3_rows()});
  cores.push_back({"cortex-m0",
                   "Cortex-M0 TRM (ARM DDI 0432C): 3.3 Instruction set summary, Table 3-1; MULS with the fast "
                   "multiplier (1 cycle)",
                   2, 0, cortex_m0_rows()});
  cores.push_back({"rv32-e31",
                   "SiFive E31 Core Complex Manual: Execution Pipeline (result latencies), Instruction Fetch Unit "
                   "(3-cycle mispredict); branches on a 2-bit counter each",
                   3, 0, rv32_e31_rows(), Pipeline::kScoreboard, Isa::kRiscV});
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
