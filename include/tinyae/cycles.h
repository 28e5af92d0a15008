// Cycle estimates for in-order cores (Cortex-M0, M3, M4, M33, a RV32 core
// like SiFive's E31): the executed instruction stream of a firmware run
// (QEMU's execution log, one line per instruction) weighted by the core's
// documented instruction timings (docs/cycle-model.md).
//
// QEMU does not model cycles; this does, from three inputs:
//   * the disassembly of the ELF (`<prefix>objdump -d`): pc -> mnemonic,
//     operands, size, and the function symbols;
//   * the executed PCs, in order, streamed (a log is hundreds of MB: never
//     kept in memory);
//   * a core timing table (cycle_cores(): one table per core).
// The estimate counts the instructions of a region (the whole run, the PCs
// inside some functions, or every call of one function with its callees) and
// sums their cycles, by instruction class. Instructions the table does not
// know are charged 1 cycle and listed, so nothing is silently lost.
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tinyae {

// One instruction of the disassembly.
struct DisassembledInstruction {
  std::uint32_t pc = 0;
  std::uint32_t size = 0;  // bytes: 2 or 4 (Thumb, RISC-V with C)
  std::string mnemonic;    // as objdump prints it, e.g. "ldr.w", "vfma.f32", "bne.n"
  std::string operands;    // e.g. "r3, [r1, #4]"
};

// [begin, end) in the code's address space.
struct AddressRange {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  bool contains(std::uint32_t pc) const { return pc >= begin && pc < end; }
};

// The text of `objdump -d` (Arm or RISC-V), indexed by pc.
class Disassembly {
 public:
  // Throws tinyae::Error if the text holds no instruction (not objdump -d output).
  static Disassembly parse(std::istream& objdump_text);

  const DisassembledInstruction* at(std::uint32_t pc) const;
  // The function symbol `name` (from its "<name>:" header to the next
  // symbol); throws tinyae::Error listing a few known names if absent.
  AddressRange function(std::string_view name) const;
  std::size_t size() const { return instructions_.size(); }

 private:
  std::unordered_map<std::uint32_t, DisassembledInstruction> instructions_;
  std::map<std::string, AddressRange, std::less<>> functions_;
};

// How a row's cycle count is formed (docs/cycle-model.md states each rule).
enum class CycleRule {
  kFixed,          // `cycles`
  kPlusRegisters,  // `cycles` + N words transferred (register list; a D register is 2)
  kLoad,           // `cycles`, minus 1 when pipelined after an independent single load
  kStore,          // 1 with an immediate offset (write buffer); else `cycles`, minus 1 after a single load
  kIfThen,         // `cycles`, 0 when folded onto a preceding 16-bit instruction
  kPredicted,      // `cycles`, + the core's branch_penalty when its 2-bit predictor guessed wrong
};

// How a core's instructions interact (docs/cycle-model.md).
enum class Pipeline {
  // The Arm TRMs' rules: P after every instruction whose next PC is not the
  // sequential one, load pipelining, the address-generation stall.
  kCortexM,
  // One instruction a cycle, fully bypassed: an instruction waits until its
  // source registers' results are ready (each row's result_latency after
  // their producer issued); conditional branches (kPredicted) are guessed by
  // a 2-bit counter per branch; other jumps are predicted right.
  kScoreboard,
};

// How the disassembly names registers.
enum class Isa { kThumb, kRiscV };

// One row of a core's table: an instruction class and its mnemonics.
struct TimingRow {
  std::string instruction_class;       // e.g. "load", "fp-mac": the histogram's key
  std::vector<std::string> mnemonics;  // base mnemonics, without condition, 's', width or type suffixes
  int cycles = 1;
  CycleRule rule = CycleRule::kFixed;
  bool writes_first_register = false;  // data processing: its first operand is a destination
  int result_latency = 1;              // kScoreboard: cycles from issue until a consumer may issue
};

// One core: its rows and the penalties every row shares.
struct CoreTiming {
  std::string name;        // e.g. "cortex-m4"
  std::string reference;   // the manual and sections the rows come from
  int branch_penalty = 2;  // kCortexM: P, added when the next PC is not the sequential one; kScoreboard: a mispredict
  int address_stall = 1;   // a load/store whose address uses the result of the previous data-processing instruction
  std::vector<TimingRow> rows;
  Pipeline pipeline = Pipeline::kCortexM;
  Isa isa = Isa::kThumb;
};

// The cores with a timing table, in the order `--help` lists them.
const std::vector<CoreTiming>& cycle_cores();
// The core called `name`; throws tinyae::Error listing the valid names.
const CoreTiming& find_cycle_core(std::string_view name);

// What an estimate counts.
struct CycleRegion {
  enum class Kind {
    kWholeRun,  // every executed instruction
    kInside,    // instructions whose PC lies in `ranges` (callees outside them are not counted)
    kCallOf,    // from each entry of `ranges[0]` until it returns, callees included
  };
  Kind kind = Kind::kWholeRun;
  std::vector<AddressRange> ranges;
  // kCallOf: count only calls first_call .. first_call + call_count - 1
  // (0-based, in execution order), e.g. one model's golden vectors.
  std::int64_t first_call = 0;
  std::int64_t call_count = -1;  // -1: every call from first_call on
};

struct ClassTotal {
  std::int64_t instructions = 0;
  std::int64_t cycles = 0;
};

struct CycleEstimate {
  std::int64_t instructions = 0;
  std::int64_t cycles = 0;
  std::int64_t entries = 0;                               // kCallOf: calls counted
  std::vector<ClassTotal> calls;                          // kCallOf: each counted call's instructions and cycles
  std::map<std::string, ClassTotal> by_class;             // "unknown" holds what the table does not know
  std::map<std::string, ClassTotal> by_mnemonic;          // base mnemonic, e.g. "vfma"
  std::map<std::string, std::int64_t> unknown_mnemonics;  // counted at 1 cycle each
  std::int64_t pcs_not_in_disassembly = 0;                // counted at 1 cycle, class "unknown"
};

// Weighs an executed-PC stream: feed every executed PC in order with step(),
// then finish(). An instruction's cycles depend on its neighbours (load
// pipelining, IT folding, taken branches), so each PC is charged when the
// next one arrives.
class CycleEstimator {
 public:
  CycleEstimator(const CoreTiming& core, const Disassembly& disassembly, CycleRegion region);
  ~CycleEstimator();
  CycleEstimator(const CycleEstimator&) = delete;
  CycleEstimator& operator=(const CycleEstimator&) = delete;
  void step(std::uint32_t pc);
  CycleEstimate finish();

 private:
  struct Timed;  // an instruction decoded for timing, cached per pc
  const Timed& timed(std::uint32_t pc);
  std::int64_t cortex_m_cycles(const Timed& instruction, const Timed* previous, std::uint32_t next_pc) const;
  std::int64_t scoreboard_cycles(const Timed& instruction, std::uint32_t next_pc);
  void charge(const Timed& instruction, std::int64_t cycles);
  void track_calls(std::uint32_t pc);

  const CoreTiming& core_;
  const Disassembly& disassembly_;
  CycleRegion region_;
  std::unordered_map<std::string, const TimingRow*> row_by_mnemonic_;
  std::unordered_map<std::uint32_t, std::unique_ptr<Timed>> timed_;
  const Timed* pending_ = nullptr;  // executed, not yet charged
  bool pending_counted_ = false;
  const Timed* previous_ = nullptr;              // the instruction executed before pending_
  std::vector<std::uint32_t> return_addresses_;  // shadow call stack (BL/BLX)
  bool in_call_ = false;
  bool call_counted_ = false;  // the current call lies in the region's window
  std::int64_t calls_seen_ = 0;
  std::size_t call_depth_ = 0;
  // kScoreboard: the cycle the next instruction may issue, when each
  // register's latest result is ready, the 2-bit counter of each branch.
  std::int64_t clock_ = 0;
  std::int64_t ready_[32] = {};
  std::unordered_map<std::uint32_t, std::uint8_t> predictor_;
  CycleEstimate estimate_;
};

// The guest PC of one QEMU `-d exec` line ("Trace 0: 0x7f.. [00000000/000004d2/...] sym"),
// or nothing for any other line.
std::optional<std::uint32_t> exec_log_pc(std::string_view line);

// Feeds the lines of a QEMU execution log (`-singlestep -d exec,nochain`),
// one at a time, to an estimator, leaving out the blocks QEMU logged but did
// not run (rewound device accesses under -icount, chains stopped before a
// block): each PC is held until the next line shows it ran.
class ExecLogReader {
 public:
  explicit ExecLogReader(CycleEstimator& estimator) : estimator_(estimator) {}
  void add_line(std::string_view line);
  // Steps the PC still held and returns the estimate. Throws tinyae::Error if
  // no line was a Trace line.
  CycleEstimate finish();

 private:
  CycleEstimator& estimator_;
  bool holding_ = false;
  std::uint32_t held_ = 0;
  std::int64_t traces_ = 0;
};

// Streams a whole execution log through an ExecLogReader; returns the
// estimate. Throws tinyae::Error if the log holds no Trace line.
CycleEstimate estimate_cycles(std::istream& exec_log, const CoreTiming& core, const Disassembly& disassembly,
                              const CycleRegion& region);

}  // namespace tinyae
