// tinyae_cycles: estimated cycles of a firmware run on an in-order Cortex-M
// core, from QEMU's executed-instruction log and the ELF's disassembly
// (the cycle model of include/tinyae/cycles.h; docs/cycle-model.md).
//
//   tinyae_cycles --disassembly fw.dis --log exec.log --core cortex-m4 --function tinyae_run_i8 [--macs N] [--json]
//
// The log may be a FIFO that QEMU writes while this reads it
// (tools/bench/estimate_cycles.sh does that): it is streamed, never kept.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <cxxopts.hpp>
#include <nlohmann/json.hpp>

#include "tinyae/common.h"
#include "tinyae/cycles.h"

namespace {

std::ifstream open_input(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) throw tinyae::Error("cannot open the " + std::string(what) + " '" + path + "'");
  return in;
}

// "--calls 9-12" (1-based, as a user counts calls) or "--calls 9".
void set_call_window(const std::string& text, tinyae::CycleRegion& region) {
  long long first = 0;
  long long last = 0;
  char tail = 0;
  const int fields = std::sscanf(text.c_str(), "%lld-%lld%c", &first, &last, &tail);
  if (fields == 1 && text.find('-') == std::string::npos) last = first;
  if ((fields != 1 && fields != 2) || (fields == 1 && last != first) || first < 1 || last < first) {
    throw tinyae::Error("--calls expects N or FIRST-LAST (1-based, FIRST <= LAST), found '" + text + "'");
  }
  region.first_call = first - 1;
  region.call_count = last - first + 1;
}

tinyae::CycleRegion region_from(const cxxopts::ParseResult& args, const tinyae::Disassembly& disassembly) {
  tinyae::CycleRegion region;
  if (args.count("function")) {
    region.kind = tinyae::CycleRegion::Kind::kCallOf;
    region.ranges.push_back(disassembly.function(args["function"].as<std::string>()));
    if (args.count("calls")) set_call_window(args["calls"].as<std::string>(), region);
  } else if (args.count("inside")) {
    region.kind = tinyae::CycleRegion::Kind::kInside;
    for (const std::string& name : args["inside"].as<std::vector<std::string>>()) {
      region.ranges.push_back(disassembly.function(name));
    }
  }
  return region;
}

std::vector<std::pair<std::string, tinyae::ClassTotal>> by_cycles(
    const std::map<std::string, tinyae::ClassTotal>& totals) {
  std::vector<std::pair<std::string, tinyae::ClassTotal>> sorted(totals.begin(), totals.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second.cycles > b.second.cycles; });
  return sorted;
}

nlohmann::json to_json(const tinyae::CycleEstimate& e, const std::string& core, std::int64_t macs) {
  nlohmann::json out = {
      {"core", core},       {"instructions", e.instructions}, {"cycles", e.cycles},
      {"calls", e.entries}, {"unknown", e.unknown_mnemonics}, {"pcs_not_in_disassembly", e.pcs_not_in_disassembly}};
  const std::int64_t per = std::max<std::int64_t>(1, e.entries);
  if (macs > 0) {
    out["macs_per_call"] = macs;
    out["cycles_per_mac"] = static_cast<double>(e.cycles) / static_cast<double>(per * macs);
    out["instructions_per_mac"] = static_cast<double>(e.instructions) / static_cast<double>(per * macs);
  }
  for (const tinyae::ClassTotal& call : e.calls) {
    out["per_call"].push_back({{"instructions", call.instructions}, {"cycles", call.cycles}});
  }
  for (const auto& [name, total] : e.by_class) {
    out["by_class"][name] = {{"instructions", total.instructions}, {"cycles", total.cycles}};
  }
  for (const auto& [name, total] : e.by_mnemonic) {
    out["by_mnemonic"][name] = {{"instructions", total.instructions}, {"cycles", total.cycles}};
  }
  return out;
}

void print_table(const std::map<std::string, tinyae::ClassTotal>& totals, const char* title, double divisor,
                 const char* unit, std::size_t rows) {
  std::printf("\n%-20s %14s %14s %10s %12s\n", title, "instructions", "cycles", "share", unit);
  std::int64_t all = 0;
  for (const auto& [name, total] : totals) all += total.cycles;
  std::size_t shown = 0;
  for (const auto& [name, total] : by_cycles(totals)) {
    if (shown++ == rows) break;
    std::printf("%-20s %14lld %14lld %9.1f%% %12.3f\n", name.c_str(), static_cast<long long>(total.instructions),
                static_cast<long long>(total.cycles),
                100.0 * static_cast<double>(total.cycles) / static_cast<double>(all),
                static_cast<double>(total.cycles) / divisor);
  }
}

void print_text(const tinyae::CycleEstimate& e, const tinyae::CoreTiming& core, std::int64_t macs) {
  const std::int64_t calls = std::max<std::int64_t>(1, e.entries);
  std::printf("core %s (%s)\n", core.name.c_str(), core.reference.c_str());
  std::printf("instructions %lld, estimated cycles %lld, cycles per instruction %.3f\n",
              static_cast<long long>(e.instructions), static_cast<long long>(e.cycles),
              static_cast<double>(e.cycles) / static_cast<double>(std::max<std::int64_t>(1, e.instructions)));
  if (e.entries > 0) {
    std::printf("calls %lld: per call %.1f instructions, %.1f cycles\n", static_cast<long long>(e.entries),
                static_cast<double>(e.instructions) / static_cast<double>(calls),
                static_cast<double>(e.cycles) / static_cast<double>(calls));
  }
  double divisor = static_cast<double>(calls);
  const char* unit = "per call";
  if (macs > 0) {
    divisor *= static_cast<double>(macs);
    unit = "per MAC";
    std::printf("per MAC (%lld MACs a call): %.3f instructions, %.3f cycles\n", static_cast<long long>(macs),
                static_cast<double>(e.instructions) / divisor, static_cast<double>(e.cycles) / divisor);
  }
  print_table(e.by_class, "class", divisor, unit, 64);
  print_table(e.by_mnemonic, "mnemonic", divisor, unit, 12);
  for (const auto& [mnemonic, count] : e.unknown_mnemonics) {
    std::printf("unknown to the %s table (charged 1 cycle): %s x %lld\n", core.name.c_str(), mnemonic.c_str(),
                static_cast<long long>(count));
  }
  if (e.pcs_not_in_disassembly > 0) {
    std::printf("executed PCs missing from the disassembly (charged 1 cycle): %lld\n",
                static_cast<long long>(e.pcs_not_in_disassembly));
  }
}

int run(int argc, char** argv) {
  cxxopts::Options options("tinyae_cycles", "Estimated cycles of a firmware run from QEMU's execution log");
  std::string cores;
  for (const tinyae::CoreTiming& core : tinyae::cycle_cores()) cores += (cores.empty() ? "" : ", ") + core.name;
  options.add_options()("disassembly", "arm-none-eabi-objdump -d output of the ELF", cxxopts::value<std::string>())(
      "log", "QEMU -singlestep -d exec,nochain log (a file or FIFO; '-' reads stdin)", cxxopts::value<std::string>())(
      "core", "timing table: " + cores, cxxopts::value<std::string>()->default_value("cortex-m4"))(
      "function", "count every call of this function, callees included", cxxopts::value<std::string>())(
      "calls", "with --function: only these calls, N or FIRST-LAST (1-based)", cxxopts::value<std::string>())(
      "inside", "count only PCs inside these functions (comma-separated)", cxxopts::value<std::vector<std::string>>())(
      "macs", "multiply-accumulates per call, for cycles per MAC", cxxopts::value<std::int64_t>()->default_value("0"))(
      "json", "print the estimate as JSON")("h,help", "show this help");
  const auto args = options.parse(argc, argv);
  if (args.count("help")) {
    std::cout << options.help();
    return 0;
  }
  if (!args.count("disassembly") || !args.count("log")) {
    std::cerr << "tinyae_cycles: --disassembly and --log are required\n" << options.help();
    return 2;
  }
  if (args.count("function") && args.count("inside")) {
    std::cerr << "tinyae_cycles: give --function or --inside, not both\n";
    return 2;
  }
  const tinyae::CoreTiming& core = tinyae::find_cycle_core(args["core"].as<std::string>());
  std::ifstream disassembly_file = open_input(args["disassembly"].as<std::string>(), "disassembly");
  const tinyae::Disassembly disassembly = tinyae::Disassembly::parse(disassembly_file);
  const tinyae::CycleRegion region = region_from(args, disassembly);
  const std::string log_path = args["log"].as<std::string>();
  std::ifstream log_file;
  if (log_path != "-") log_file = open_input(log_path, "execution log");
  const tinyae::CycleEstimate estimate =
      tinyae::estimate_cycles(log_path == "-" ? std::cin : log_file, core, disassembly, region);
  const std::int64_t macs = args["macs"].as<std::int64_t>();
  if (args.count("json")) {
    std::cout << to_json(estimate, core.name, macs).dump(2) << "\n";
  } else {
    print_text(estimate, core, macs);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    std::cerr << "tinyae_cycles: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "tinyae_cycles: " << e.what() << "\n";
    return 1;
  }
}
