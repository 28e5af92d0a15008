// The cycle model: classification and pipeline rules on a synthetic
// disassembly and PC stream (no QEMU), then the micro-benchmarks of
// bench_m4.S run under QEMU, whose cycles follow from the Cortex-M4 TRM and
// must be reproduced exactly.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tinyae/common.h"
#include "tinyae/cycles.h"
#include "tinyae/process.h"

namespace {

using tinyae::CycleEstimate;
using tinyae::CycleRegion;
using tinyae::Disassembly;

struct Line {
  std::string mnemonic;
  std::string operands;
  std::uint32_t size = 2;
};

constexpr std::uint32_t kBase = 0x100;

// objdump -d text for `lines` placed one after the other from kBase, under one symbol.
std::string objdump_text(const std::vector<Line>& lines) {
  std::string text = "00000100 <sequence>:\n";
  std::uint32_t pc = kBase;
  char buffer[160];
  for (const Line& line : lines) {
    std::snprintf(buffer, sizeof buffer, "%8x:\t%s \t%s\t%s\n", pc, line.size == 2 ? "bf00" : "f8d1 3000",
                  line.mnemonic.c_str(), line.operands.c_str());
    text += buffer;
    pc += line.size;
  }
  return text;
}

Disassembly parse(const std::string& text) {
  std::istringstream in(text);
  return Disassembly::parse(in);
}

// Runs `lines` once, in order, on a core's table (the Cortex-M4's by default).
CycleEstimate run_straight(const std::vector<Line>& lines, const char* core = "cortex-m4") {
  const Disassembly disassembly = parse(objdump_text(lines));
  tinyae::CycleEstimator estimator(tinyae::find_cycle_core(core), disassembly, CycleRegion{});
  std::uint32_t pc = kBase;
  for (const Line& line : lines) {
    estimator.step(pc);
    pc += line.size;
  }
  return estimator.finish();
}

TEST(CycleClassification, SuffixesConditionsAndFlagsAreStripped) {
  const std::vector<std::pair<Line, std::string>> cases = {
      {{"bls.n", "100 <sequence>"}, "branch"},
      {{"bl", "100 <sequence>", 4}, "branch"},
      {{"bics", "r1, r2"}, "alu"},
      {{"lsls", "r1, r1, #2"}, "alu"},
      {{"addeq", "r1, r2"}, "alu"},
      {{"teq", "r1, r2", 4}, "compare"},
      {{"ldr.w", "r3, [r1, #4]", 4}, "load"},
      {{"ldrbeq", "r3, [r1]"}, "load"},
      {{"vfma.f32", "s0, s1, s2", 4}, "fp-mac"},
      {{"itt", "eq"}, "if-then"},
      {{"smlad", "r1, r2, r3, r1", 4}, "dsp-mac"},
      {{"sxtb16", "r1, r2, ror #8", 4}, "dsp-simd"},
      {{"vldmia", "r0!, {s0-s7}", 4}, "fp-load-multiple"},
      {{"ldrd", "r2, r3, [r0]", 4}, "load-double"},
  };
  for (const auto& [line, expected_class] : cases) {
    const CycleEstimate estimate = run_straight({line});
    ASSERT_EQ(estimate.by_class.size(), 1u) << line.mnemonic;
    EXPECT_EQ(estimate.by_class.begin()->first, expected_class) << line.mnemonic;
    EXPECT_TRUE(estimate.unknown_mnemonics.empty()) << line.mnemonic;
  }
}

TEST(CycleClassification, TheCortexM33TableKnowsFpv5Instructions) {
  for (const char* mnemonic : {"vseleq.f32", "vselge.f32", "vmaxnm.f32", "vrintz.f32"}) {
    const CycleEstimate estimate = run_straight({{mnemonic, "s0, s1, s2", 4}}, "cortex-m33");
    EXPECT_TRUE(estimate.unknown_mnemonics.empty()) << mnemonic;
    EXPECT_EQ(estimate.cycles, 1) << mnemonic;
  }
}

TEST(CycleClassification, UnknownInstructionsCountOneCycleAndAreListed) {
  const CycleEstimate estimate = run_straight({{"frobnicate", "r1"}, {"frobnicate", "r2"}, {"nop", ""}});
  EXPECT_EQ(estimate.instructions, 3);
  EXPECT_EQ(estimate.cycles, 3);
  EXPECT_EQ(estimate.by_class.at("unknown").instructions, 2);
  EXPECT_EQ(estimate.unknown_mnemonics.at("frobnicate"), 2);
}

TEST(CycleRules, RegisterListsCountWords) {
  EXPECT_EQ(run_straight({{"push", "{r4, r5, r6, lr}"}}).cycles, 1 + 4);
  EXPECT_EQ(run_straight({{"vldmia", "r0, {s0-s7}", 4}}).cycles, 1 + 8);
  EXPECT_EQ(run_straight({{"vpush", "{d8-d9}", 4}}).cycles, 1 + 4);  // a D register is two words
}

TEST(CycleRules, LoadsPipelineUnlessTheAddressNeedsThePreviousLoad) {
  EXPECT_EQ(run_straight({{"ldr", "r1, [r0]"}, {"ldr", "r2, [r0, #4]"}}).cycles, 2 + 1);
  EXPECT_EQ(run_straight({{"ldr", "r1, [r0]"}, {"ldr", "r2, [r1]"}}).cycles, 2 + 2);
  EXPECT_EQ(run_straight({{"ldr", "r1, [r0]"}, {"str", "r1, [r0, r2]"}}).cycles, 2 + 1);
  EXPECT_EQ(run_straight({{"str", "r1, [r0, r2]"}, {"ldr", "r2, [r0]"}}).cycles, 2 + 2);
  EXPECT_EQ(run_straight({{"str", "r1, [r0, #8]"}}).cycles, 1);
  EXPECT_EQ(run_straight({{"adds", "r1, r0, #4"}, {"ldr", "r2, [r1]"}}).cycles, 1 + 2 + 1);
  EXPECT_EQ(run_straight({{"ldrd", "r2, r3, [r0]", 4}, {"ldr", "r2, [r0]"}}).cycles, 3 + 2);
}

TEST(CycleRules, IfThenFoldsOntoAPreceding16BitInstruction) {
  EXPECT_EQ(run_straight({{"cmp", "r0, r1"}, {"it", "eq"}, {"moveq", "r1, r2"}}).cycles, 2);
  EXPECT_EQ(run_straight({{"cmp.w", "r0, r1", 4}, {"it", "eq"}, {"moveq", "r1, r2"}}).cycles, 3);
}

TEST(CycleRules, ANonSequentialNextPcAddsThePipelineRefill) {
  const Disassembly disassembly = parse(objdump_text({{"subs", "r1, #1"}, {"bne.n", "100 <sequence>"}, {"nop", ""}}));
  tinyae::CycleEstimator estimator(tinyae::find_cycle_core("cortex-m4"), disassembly, CycleRegion{});
  for (std::uint32_t pc : {0x100u, 0x102u, 0x100u, 0x102u, 0x104u}) estimator.step(pc);
  const CycleEstimate estimate = estimator.finish();
  EXPECT_EQ(estimate.instructions, 5);
  EXPECT_EQ(estimate.cycles, 1 + (1 + 2) + 1 + 1 + 1);  // taken once, then falls through
}

// Cortex-M0 (ARMv6-M TRM Table 3-1): no load pipelining, BL 4, POP with PC 4 + N.
TEST(CycleRules, CortexM0LoadsDoNotPipelineAndCallsCostFour) {
  EXPECT_EQ(run_straight({{"ldr", "r1, [r0]"}, {"ldr", "r2, [r0, #4]"}}, "cortex-m0").cycles, 2 + 2);
  EXPECT_EQ(run_straight({{"str", "r1, [r0, #8]"}}, "cortex-m0").cycles, 2);
  EXPECT_EQ(run_straight({{"muls", "r1, r2"}, {"adds", "r1, #1"}, {"ldr", "r2, [r1]"}}, "cortex-m0").cycles, 1 + 1 + 2);
  // BL to the POP, which returns to the NOP after the BL.
  const Disassembly disassembly =
      parse(objdump_text({{"bl", "106 <sequence+0x6>", 4}, {"nop", ""}, {"pop", "{r4, pc}"}}));
  tinyae::CycleEstimator estimator(tinyae::find_cycle_core("cortex-m0"), disassembly, CycleRegion{});
  for (std::uint32_t pc : {0x100u, 0x106u, 0x104u}) estimator.step(pc);
  const CycleEstimate estimate = estimator.finish();
  EXPECT_EQ(estimate.by_class.at("call").cycles, 4);
  EXPECT_EQ(estimate.by_class.at("load-multiple").cycles, 4 + 1);  // N = 1 register besides PC
}

// The RV32 scoreboard (SiFive E31 figures): LW results after 2 cycles,
// byte loads after 3, multiplies after 5; a 2-bit counter per branch.
TEST(CycleRules, Rv32WaitsForLoadAndMultiplyResults) {
  EXPECT_EQ(run_straight({{"lw", "a5,0(a0)"}, {"add", "a4,a5,a4"}}, "rv32-e31").cycles, 1 + 1 + 1);
  EXPECT_EQ(run_straight({{"lw", "a5,0(a0)"}, {"add", "a3,a3,1"}, {"add", "a4,a5,a4"}}, "rv32-e31").cycles, 3);
  EXPECT_EQ(run_straight({{"lbu", "a5,0(a0)"}, {"add", "a4,a5,a4"}}, "rv32-e31").cycles, 1 + 2 + 1);
  EXPECT_EQ(run_straight({{"mul", "a5,a4,a5", 4}, {"add", "s0,s0,a5"}}, "rv32-e31").cycles, 1 + 4 + 1);
  EXPECT_EQ(run_straight({{"lw", "a5,0(a0)"}, {"sw", "a5,4(sp)"}}, "rv32-e31").cycles, 1 + 1 + 1);
  EXPECT_EQ(run_straight({{"lw", "zero,0(a0)"}, {"add", "a4,zero,a4"}}, "rv32-e31").cycles, 2) << "x0 never waits";
  const CycleEstimate none = run_straight({{"csrr", "a5,mcycle", 4}, {"lw", "a4,0(a5)"}}, "rv32-e31");
  EXPECT_EQ(none.cycles, 1 + 2 + 1);
  EXPECT_TRUE(none.unknown_mnemonics.empty());
}

TEST(CycleRules, Rv32BranchesAreGuessedByATwoBitCounter) {
  const Disassembly disassembly =
      parse(objdump_text({{"add", "a0,a0,-1"}, {"bnez", "a0,100 <sequence>", 4}, {"nop", ""}}));
  tinyae::CycleEstimator estimator(tinyae::find_cycle_core("rv32-e31"), disassembly, CycleRegion{});
  // Four trips: taken three times, then falls through.
  for (int trip = 0; trip < 4; ++trip) {
    estimator.step(0x100);
    estimator.step(0x102);
  }
  estimator.step(0x106);
  const CycleEstimate estimate = estimator.finish();
  EXPECT_EQ(estimate.instructions, 9);
  // Weakly not-taken at first: the first taken trip and the exit are mispredicted (3 each).
  EXPECT_EQ(estimate.by_class.at("branch").cycles, 4 + 3 + 3);
  EXPECT_EQ(estimate.cycles, 9 + 3 + 3);
}

// main calls wrapper, which tail-calls target (B), which calls leaf.
const char* const kCallTree =
    "00000100 <main>:\n"
    "     100:\tf000 f802 \tbl\t108 <wrapper>\n"
    "     104:\tbf00      \tnop\n"
    "     106:\tbf00      \tnop\n"
    "00000108 <wrapper>:\n"
    "     108:\tf000 b800 \tb.w\t10c <target>\n"
    "0000010c <target>:\n"
    "     10c:\tf000 f802 \tbl\t114 <leaf>\n"
    "     110:\t4770      \tbx\tlr\n"
    "     112:\tbf00      \tnop\n"
    "00000114 <leaf>:\n"
    "     114:\tbf00      \tnop\n"
    "     116:\t4770      \tbx\tlr\n";
const std::vector<std::uint32_t> kCallTreeRun = {0x100, 0x108, 0x10c, 0x114, 0x116, 0x110, 0x104, 0x106};

CycleEstimate run_call_tree(CycleRegion region) {
  const Disassembly disassembly = parse(kCallTree);
  tinyae::CycleEstimator estimator(tinyae::find_cycle_core("cortex-m4"), disassembly, std::move(region));
  for (std::uint32_t pc : kCallTreeRun) estimator.step(pc);
  return estimator.finish();
}

TEST(CycleRegions, ACallIncludesCalleesAndEndsAtATailCallsReturn) {
  const Disassembly disassembly = parse(kCallTree);
  const CycleEstimate estimate = run_call_tree({CycleRegion::Kind::kCallOf, {disassembly.function("target")}});
  EXPECT_EQ(estimate.entries, 1);
  EXPECT_EQ(estimate.instructions, 4);  // bl, nop, bx (leaf), bx (target)
  EXPECT_EQ(estimate.cycles, (1 + 2) + 1 + (1 + 2) + (1 + 2));
}

TEST(CycleRegions, InsideCountsOnlyThePcsOfTheFunctions) {
  const Disassembly disassembly = parse(kCallTree);
  const CycleEstimate estimate = run_call_tree({CycleRegion::Kind::kInside, {disassembly.function("target")}});
  EXPECT_EQ(estimate.instructions, 2);  // its bl and bx, not the leaf's
  EXPECT_EQ(estimate.entries, 0);
}

TEST(CycleLog, TracePcsAreReadAndBlocksQemuDidNotRunDropped) {
  EXPECT_EQ(tinyae::exec_log_pc("Trace 0: 0x7fe2d4000100 [00800408/000004d2/00000110/ff020201] reset"), 0x4d2u);
  EXPECT_FALSE(tinyae::exec_log_pc("cpu_io_recompile: rewound execution of TB to 0000000a"));
  EXPECT_FALSE(tinyae::exec_log_pc("Trace 0: 0x7f [zz/]"));
  const Disassembly disassembly = parse(objdump_text({{"ldr", "r1, [r0]"}, {"nop", ""}}));
  std::istringstream log(
      "Trace 0: 0x1 [00000000/00000100/0/0] sequence\n"
      "cpu_io_recompile: rewound execution of TB to 00000100\n"
      "Trace 0: 0x2 [00000000/00000100/0/0] sequence\n"
      "Trace 0: 0x3 [00000000/00000102/0/0] sequence\n"
      "Trace 0: 0x1 [00000000/00000100/0/0] sequence\n"
      "Stopped execution of TB chain before 0x1 [00000100] sequence\n"
      "Trace 0: 0x1 [00000000/00000100/0/0] sequence\n");
  const CycleEstimate estimate =
      tinyae::estimate_cycles(log, tinyae::find_cycle_core("cortex-m4"), disassembly, CycleRegion{});
  EXPECT_EQ(estimate.instructions, 3);
  EXPECT_EQ(estimate.cycles, 2 + (1 + 2) + 2);  // ldr, nop (the next PC jumps back), ldr
}

TEST(CycleErrors, BadInputsAreNamed) {
  try {
    tinyae::find_cycle_core("cortex-z9");
    FAIL() << "expected an error";
  } catch (const tinyae::Error& e) {
    EXPECT_NE(std::string(e.what()).find("cortex-z9"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cortex-m4"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse("not a disassembly\n"), tinyae::Error);
  const Disassembly disassembly = parse(kCallTree);
  try {
    disassembly.function("tinyae_run_q4");
    FAIL() << "expected an error";
  } catch (const tinyae::Error& e) {
    EXPECT_NE(std::string(e.what()).find("tinyae_run_q4"), std::string::npos) << e.what();
  }
  std::istringstream empty_log("no trace here\n");
  EXPECT_THROW(tinyae::estimate_cycles(empty_log, tinyae::find_cycle_core("cortex-m4"), disassembly, CycleRegion{}),
               tinyae::Error);
}

// The micro-benchmarks: function, instructions, cycles from the Cortex-M4 TRM
// (bench_m4.S derives each count in its comment).
struct Benchmark {
  const char* function;
  std::int64_t instructions;
  std::int64_t cycles;
};
constexpr Benchmark kBenchmarks[] = {
    {"bench_ldr_independent", 9, 12},
    {"bench_ldr_dependent", 9, 19},
    {"bench_str_immediate", 9, 11},
    {"bench_ldr_str_register", 5, 9},
    {"bench_ldrd", 5, 15},
    {"bench_ldm", 3, 11},
    {"bench_vldm", 4, 26},
    {"bench_vfma", 9, 27},
    {"bench_vfma_chain", 9, 27},
    {"bench_vadd_vmul", 9, 11},
    {"bench_smlad", 9, 11},
    {"bench_sxtb16", 9, 11},
    {"bench_branch_loop", 10, 18},
    {"bench_it", 7, 8},
    {"bench_push_pop", 2, 14},
    {"bench_address_stall", 5, 11},
};

TEST(CycleMicroBenchmarks, QemuRunsMatchTheReferenceManual) {
  const std::filesystem::path elf = TINYAE_CYCLES_BENCH_ELF;
  const std::filesystem::path dis = TINYAE_CYCLES_BENCH_DIS;
  if (!std::filesystem::exists(elf) || tinyae::find_in_path("qemu-system-arm").empty()) {
    GTEST_SKIP() << "needs arm-none-eabi-gcc (bench firmware) and qemu-system-arm";
  }
  const std::filesystem::path log = std::filesystem::path(TINYAE_BINARY_DIR) / "tests/cycles/bench_m4_exec.log";
  tinyae::ProcessOptions options;
  options.timeout_seconds = 60;
  const tinyae::ProcessResult qemu =
      tinyae::run_process({"qemu-system-arm", "-M", "mps2-an386", "-nographic", "-semihosting", "-icount", "shift=0",
                           "-singlestep", "-d", "exec,nochain", "-D", log.string(), "-kernel", elf.string()},
                          options);
  ASSERT_TRUE(qemu.ok()) << "qemu-system-arm: " << qemu.describe() << "\n" << qemu.err;
  std::ifstream dis_file(dis);
  const Disassembly disassembly = Disassembly::parse(dis_file);
  for (const Benchmark& bench : kBenchmarks) {
    std::ifstream log_file(log);
    const CycleEstimate estimate =
        tinyae::estimate_cycles(log_file, tinyae::find_cycle_core("cortex-m4"), disassembly,
                                {CycleRegion::Kind::kCallOf, {disassembly.function(bench.function)}});
    EXPECT_EQ(estimate.entries, 1) << bench.function;
    EXPECT_EQ(estimate.instructions, bench.instructions) << bench.function;
    EXPECT_EQ(estimate.cycles, bench.cycles) << bench.function << ": the model gives " << estimate.cycles;
    EXPECT_TRUE(estimate.unknown_mnemonics.empty()) << bench.function;
  }
  std::filesystem::remove(log);
}

}  // namespace
