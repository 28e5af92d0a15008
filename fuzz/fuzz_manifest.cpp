// libFuzzer target: the manifest.json reader of `tinyae deploy`.
//
// The manifest parser is internal to src/deploy, so the target goes through
// tinyae::deploy() itself: the input becomes DIR/manifest.json in an
// otherwise empty folder. deploy() checks its options, then reads and checks
// the manifest, then the files it lists and the runtime sources; since the
// folder holds nothing else (no tinyae.h), every input ends in a
// tinyae::Error before any compiler or QEMU runs. Anything else (another
// exception, a crash, a hang) is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "fuzz_common.h"
#include "tinyae/deploy.h"

namespace {

const std::filesystem::path& folder() {
  static const std::filesystem::path path = [] {
    std::error_code ec;
    const std::filesystem::path base =
        std::filesystem::is_directory("/dev/shm", ec) ? "/dev/shm" : std::filesystem::temp_directory_path();
    const std::filesystem::path dir = base / ("tinyae_fuzz_manifest_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::atexit([] { std::filesystem::remove_all(folder()); });
    return dir;
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::filesystem::path manifest = folder() / "manifest.json";
  std::FILE* out = std::fopen(manifest.c_str(), "wb");
  if (out == nullptr) std::abort();
  if (std::fwrite(data, 1, size, out) != size || std::fclose(out) != 0) std::abort();
  tinyae::DeployOptions options;
  options.headers_dir = folder();
  options.timeout_seconds = 1;
  const bool returned = tinyae::fuzz::run_parser("deploy(manifest)", [&] { tinyae::deploy(options); });
  if (returned) {
    std::fprintf(stderr, "deploy() returned for a folder holding only manifest.json\n");
    std::abort();
  }
  return 0;
}
