// deploy --cycles: estimated cycles of the self-test firmware's inferences.
// The firmware runs a second time under QEMU, its executed-instruction log
// streamed into the cycle estimator (include/tinyae/cycles.h) with the ELF's
// disassembly, and every call of the format's run function is weighed with
// the board's timing table (docs/cycle-model.md).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tinyae/cycles.h"
#include "tinyae/deploy.h"
#include "toolchain.h"

namespace tinyae {

// The board's timing table. Throws tinyae::Error, meant for before anything
// is built, if the board has none, naming the boards that have one.
const CoreTiming& require_cycle_model(const Board& board);

// Runs `elf` with the execution log and returns the estimate of every call
// of `run_function`, in order. Throws tinyae::Error if QEMU fails or does not
// finish within timeout_seconds.
CycleEstimate trace_firmware_cycles(const Toolchain& tools, const Board& board, const CoreTiming& core,
                                    const std::filesystem::path& elf, std::string_view run_function,
                                    double timeout_seconds, const std::function<void(const std::string&)>& progress);

// Gives each model of `result` the cycles of its calls: the firmware ran the
// models in `order`, each once per golden vector (a variational encoder's
// log-variance runs follow each and are not attributed); the headline
// model's go to the result's own figures. Throws tinyae::Error if the number
// of calls differs from what the golden vectors make.
void attach_cycles(const CycleEstimate& estimate, const CoreTiming& core, const std::vector<std::string>& order,
                   DeployResult& result);

}  // namespace tinyae
