// Option parsing shared by the subcommands: exact, range-checked numbers and
// the refusal of stray arguments, each failure a UsageError naming the flag.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <iostream>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <cxxopts.hpp>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "commands.h"

namespace tinyae::cli {

// Integer option in [lo, hi]; the whole text must be the number.
template <typename T>
T parse_integer(const std::string& flag, const std::string& text, T lo, T hi) {
  T value{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < lo || value > hi) {
    const std::string range =
        hi == std::numeric_limits<T>::max() ? fmt::format(">= {}", lo) : fmt::format("in {}..{}", lo, hi);
    throw UsageError(fmt::format("--{} must be an integer {}, got '{}'", flag, range, text));
  }
  return value;
}

// Real option in (lo, hi] (or [lo, hi] when lo_inclusive); finite, the whole
// text the number. hi = infinity means no upper bound.
inline double parse_real(const std::string& flag, const std::string& text, double lo, double hi, bool lo_inclusive) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  const bool above = lo_inclusive ? value >= lo : value > lo;
  if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(value) || !above || value > hi) {
    const std::string range = std::isinf(hi) ? fmt::format("a finite number {} {}", lo_inclusive ? ">=" : ">", lo)
                                             : fmt::format("a number in {}{}, {}]", lo_inclusive ? "[" : "(", lo, hi);
    throw UsageError(fmt::format("--{} must be {}, got '{}'", flag, range, text));
  }
  return value;
}

// Layer sizes in [1, max]: "128,64" -> {128, 64}; "" -> {} (no hidden layer).
inline std::vector<std::int64_t> parse_sizes(const std::string& flag, const std::string& text, std::int64_t max) {
  std::vector<std::int64_t> sizes;
  if (text.empty()) return sizes;
  std::size_t begin = 0;
  while (true) {
    const std::size_t comma = text.find(',', begin);
    const std::string item = text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
    std::int64_t size = 0;
    const char* end = item.data() + item.size();
    const auto [ptr, ec] = std::from_chars(item.data(), end, size);
    if (item.empty() || ec != std::errc() || ptr != end || size < 1 || size > max) {
      throw UsageError(fmt::format("--{} must be comma-separated layer sizes in 1..{}, got '{}'", flag, max, text));
    }
    sizes.push_back(size);
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  return sizes;
}

// A required option: absent or empty ("--out ''") is the same mistake.
inline void require_option(const cxxopts::ParseResult& args, const std::string& flag, const std::string& message) {
  if (args.count(flag) == 0 || args[flag].as<std::string>().empty()) throw UsageError(message);
}

// cxxopts collects positional words it does not know, and keeps the last of
// a repeated option; neither is accepted: '--epochs 5 --epochs 50' is more
// likely a slip than a wish.
inline void reject_stray_and_repeated_arguments(const cxxopts::ParseResult& args) {
  if (!args.unmatched().empty()) {
    throw UsageError(fmt::format("unexpected argument '{}'", args.unmatched().front()));
  }
  std::set<std::string> seen;
  for (const cxxopts::KeyValue& option : args.arguments()) {
    if (!seen.insert(option.key()).second) {
      throw UsageError(fmt::format("--{} is given more than once", option.key()));
    }
  }
}

// A flag every call of a command needs, and the error when it is missing.
struct RequiredFlag {
  const char* flag;
  const char* message;
};

// What every command does first: parse argv; print the help and return
// nothing for -h/--help; refuse stray and repeated arguments, then missing
// required flags; with --quiet (where the command has it) log warnings and
// errors only.
inline std::optional<cxxopts::ParseResult> parse_command(cxxopts::Options& parser, int argc, char** argv,
                                                         std::initializer_list<RequiredFlag> required) {
  cxxopts::ParseResult args = parser.parse(argc, argv);
  if (args.count("help") != 0) {
    std::cout << parser.help();
    return std::nullopt;
  }
  reject_stray_and_repeated_arguments(args);
  for (const RequiredFlag& r : required) require_option(args, r.flag, r.message);
  if (args.count("quiet") != 0) spdlog::set_level(spdlog::level::warn);
  return args;
}

}  // namespace tinyae::cli
