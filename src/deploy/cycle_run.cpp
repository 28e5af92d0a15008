// Tracing the firmware for the cycle estimate (see cycle_run.h).
#include "cycle_run.h"

#include <sstream>

#include "tinyae/common.h"
#include "tinyae/process.h"

namespace tinyae {
namespace fs = std::filesystem;

namespace {

// The disassembly of a firmware is a few MB of text.
constexpr std::size_t kMaxDisassemblyBytes = std::size_t{256} << 20;

// A variational encoder's <prefix>_logvar() calls the run function twice
// (the hidden layers, then the head) after each golden vector's own run
// (tools/firmware/main.c), so its model makes 3 calls per vector, the first
// the one to attribute.
constexpr std::size_t kLogvarRunCalls = 2;

std::size_t calls_per_vector(const DeployModelResult& m) { return 1 + (m.logvar.vectors > 0 ? kLogvarRunCalls : 0); }

Disassembly disassemble(const Toolchain& tools, const fs::path& elf) {
  const std::vector<std::string> argv = {tools.objdump.string(), "-d", elf.string()};
  ProcessOptions o;
  o.max_output_bytes = kMaxDisassemblyBytes;
  const ProcessResult r = run_process(argv, o);
  if (!r.ok() || r.out_dropped > 0) {
    throw Error("disassembling the firmware failed (" + r.describe() + ")\ncommand: " + describe_command(argv) + "\n" +
                r.err);
  }
  std::istringstream text(r.out);
  return Disassembly::parse(text);
}

}  // namespace

const CoreTiming& require_cycle_model(const Board& board) {
  if (!board.cycle_core.empty()) return find_cycle_core(board.cycle_core);
  std::string with;
  for (const Board& b : deploy_boards()) {
    if (!b.cycle_core.empty()) with += (with.empty() ? "" : ", ") + b.name + " (" + b.cpu + ")";
  }
  throw Error("--cycles: " + board.name + " (" + board.cpu +
              ") has no cycle model: its core issues more than one instruction at a time or overlaps them (dual "
              "issue, Helium beats), which a table of cycles per instruction cannot describe, so no estimate is "
              "made; boards with a cycle model: " +
              with);
}

CycleEstimate trace_firmware_cycles(const Toolchain& tools, const Board& board, const CoreTiming& core,
                                    const fs::path& elf, std::string_view run_function, double timeout_seconds,
                                    const std::function<void(const std::string&)>& progress) {
  const Disassembly disassembly = disassemble(tools, elf);
  CycleRegion region;
  region.kind = CycleRegion::Kind::kCallOf;
  region.ranges.push_back(disassembly.function(run_function));
  CycleEstimator estimator(core, disassembly, region);
  ExecLogReader reader(estimator);
  const std::vector<std::string> argv = qemu_command(tools, board, elf, QemuRun::kTraced);
  progress("tracing for the cycle estimate (" + core.name + "): " + describe_command(argv));
  ProcessOptions o;
  o.timeout_seconds = timeout_seconds;
  o.max_output_bytes = 0;  // the log (hundreds of MB) is read line by line, never kept
  o.on_stdout_line = [&reader](std::string_view line) { reader.add_line(line); };
  const ProcessResult r = run_process(argv, o);
  if (r.timed_out) {
    throw Error("the traced QEMU run (" + board.name + ", for --cycles) did not finish within " +
                std::to_string(timeout_seconds) + " s and was killed; raise --timeout");
  }
  if (!r.exited) {
    throw Error("the traced QEMU run (" + board.name + ", for --cycles) ended by " + r.describe() + "\n" + r.err);
  }
  return reader.finish();
}

void attach_cycles(const CycleEstimate& estimate, const CoreTiming& core, const std::vector<std::string>& order,
                   DeployResult& result) {
  std::size_t calls = 0;
  for (const std::string& name : order) {
    const DeployModelResult& m = result.models.at(name);
    calls += static_cast<std::size_t>(m.vectors) * calls_per_vector(m);
  }
  if (estimate.calls.size() != calls) {
    throw Error("the traced run made " + std::to_string(estimate.calls.size()) +
                " inference calls but the firmware's golden vectors make " + std::to_string(calls) +
                "; the cycle estimate cannot be attributed to the models");
  }
  std::size_t call = 0;
  for (const std::string& name : order) {
    DeployModelResult& m = result.models.at(name);
    const ClassTotal* most = nullptr;
    for (std::int64_t v = 0; v < m.vectors; ++v, call += calls_per_vector(m)) {
      const ClassTotal& c = estimate.calls[call];
      if (most == nullptr || c.cycles > most->cycles) most = &c;
    }
    if (most != nullptr) {
      m.cycles_per_inference = most->cycles;
      m.traced_instructions = most->instructions;
    }
  }
  const DeployModelResult& headline = result.models.at(result.headline_model);
  result.cycle_core = core.name;
  result.cycle_reference = core.reference;
  result.cycles_per_inference = headline.cycles_per_inference;
  result.traced_instructions = headline.traced_instructions;
  result.cycles_per_mac = headline.cycles_per_mac();
  result.cycle_unknown = estimate.unknown_mnemonics;
  if (estimate.pcs_not_in_disassembly > 0)
    result.cycle_unknown["(pc not in the disassembly)"] = estimate.pcs_not_in_disassembly;
}

}  // namespace tinyae
