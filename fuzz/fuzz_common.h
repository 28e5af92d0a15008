// Shared by the fuzz targets: what counts as a finding.
//
// The parsers' contract is "throw tinyae::Error with a message naming the
// input, or return a valid value". A tinyae::Error is therefore an accepted
// outcome; any other exception (std::out_of_range from a JSON lookup,
// c10::Error from LibTorch, std::bad_alloc from an announced size) escapes
// that contract and would reach the user as "internal error", so the targets
// abort on it and libFuzzer saves the input. Crashes, leaks and undefined
// behaviour are caught by ASan/UBSan, timeouts and memory blow-ups by
// libFuzzer's -timeout and -rss_limit_mb.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "tinyae/common.h"

namespace tinyae::fuzz {

// Runs `parse`; returns true if it succeeded, false on a tinyae::Error, and
// aborts (a finding) on any other exception.
template <typename Parse>
bool run_parser(const char* what, Parse&& parse) {
  try {
    parse();
    return true;
  } catch (const tinyae::Error&) {
    return false;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s threw a non-tinyae exception: %s\n", what, e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "%s threw something that is not a std::exception\n", what);
    std::abort();
  }
}

}  // namespace tinyae::fuzz
