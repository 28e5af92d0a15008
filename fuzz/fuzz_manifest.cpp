// libFuzzer target: the manifest.json reader shared by `tinyae export` and
// `tinyae deploy` (tinyae::Manifest::from_json, include/tinyae/manifest.h).
//
// Every input must either parse, and then survive a to_json / from_json round
// trip unchanged, or end in a tinyae::Error. Anything else (another
// exception, a crash, a hang) is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "fuzz_common.h"
#include "tinyae/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  tinyae::fuzz::run_parser("Manifest::from_json", [&] {
    const tinyae::Manifest manifest = tinyae::Manifest::from_json(text, "'manifest.json'");
    const std::string written = manifest.to_json().dump();
    if (tinyae::Manifest::from_json(written, "'round trip'").to_json().dump() != written) {
      std::fprintf(stderr, "to_json / from_json round trip changed the manifest:\n%s\n", written.c_str());
      std::abort();
    }
  });
  return 0;
}
