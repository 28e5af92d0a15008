// libFuzzer target: the command-line value parsers of `tinyae`
// (tools/tinyae/options.h): integers, reals, and layer-size lists.
//
// The first input byte picks the parser, the rest is the option's text. A
// parser must either return a value inside the range it was given or throw a
// UsageError; another exception, a value out of range, or a crash is a
// finding.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <limits>
#include <string>

#include "options.h"

namespace {

[[noreturn]] void finding(const char* what, const std::string& text) {
  std::fprintf(stderr, "fuzz_options: %s for '%s'\n", what, text.c_str());
  std::abort();
}

void check(std::uint8_t which, const std::string& text) {
  using namespace tinyae::cli;
  switch (which % 5) {
    case 0: {
      const auto v = parse_integer<std::int64_t>("n", text, 1, 60000);
      if (v < 1 || v > 60000) finding("int64 out of range", text);
      break;
    }
    case 1: {
      const auto v = parse_integer<int>("threads", text, 0, 256);
      if (v < 0 || v > 256) finding("int out of range", text);
      break;
    }
    case 2: {
      const auto v = parse_integer<std::uint64_t>("seed", text, 0, UINT64_MAX);
      (void)v;
      if (text.empty() || text[0] == '-') finding("negative or empty seed accepted", text);
      break;
    }
    case 3: {
      const double v = which & 8 ? parse_real("lr", text, 0, std::numeric_limits<double>::infinity(), false)
                                 : parse_real("timeout", text, 0, 604800, false);
      if (!std::isfinite(v) || !(v > 0) || (!(which & 8) && v > 604800)) finding("real out of range", text);
      break;
    }
    default: {
      const auto sizes = parse_sizes("hidden", text, 65535);
      std::size_t commas = 0;
      for (const char c : text) commas += c == ',';
      if (!text.empty() && sizes.size() != commas + 1) finding("sizes do not match the commas", text);
      for (const auto s : sizes) {
        if (s < 1 || s > 65535) finding("size out of range", text);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    check(data[0], text);
  } catch (const tinyae::cli::UsageError&) {
    // the expected refusal
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz_options: unexpected %s for '%s'\n", e.what(), text.c_str());
    std::abort();
  }
  return 0;
}
