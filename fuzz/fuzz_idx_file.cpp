// libFuzzer target: read_idx_file on the input written to a file, which
// exercises the gzip path (zlib reads gzip and plain files alike) on hostile
// compressed streams: truncated members, bad CRCs, concatenated members,
// garbage after the end.
//
// The file lives in one place per process under $TMPDIR (tmpfs under
// /dev/shm when it exists, so each run costs no disk write) and is removed at
// exit.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "fuzz_common.h"
#include "tinyae/data.h"

namespace {

std::filesystem::path scratch_path() {
  std::error_code ec;
  const std::filesystem::path dir =
      std::filesystem::is_directory("/dev/shm", ec) ? "/dev/shm" : std::filesystem::temp_directory_path();
  return dir / ("tinyae_fuzz_idx_" + std::to_string(::getpid()) + ".idx.gz");
}

const std::filesystem::path& file() {
  static const std::filesystem::path path = [] {
    std::atexit([] { std::remove(scratch_path().c_str()); });
    return scratch_path();
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::FILE* out = std::fopen(file().c_str(), "wb");
  if (out == nullptr) std::abort();  // the harness itself is broken, not the parser
  if (std::fwrite(data, 1, size, out) != size || std::fclose(out) != 0) std::abort();
  tinyae::fuzz::run_parser("read_idx_file(images)", [&] {
    const tinyae::IdxArray array = tinyae::read_idx_file(file(), tinyae::kIdxImagesMagic);
    if (array.dims.size() != 3) std::abort();
  });
  tinyae::fuzz::run_parser("read_idx_file(labels)", [&] {
    const tinyae::IdxArray array = tinyae::read_idx_file(file(), tinyae::kIdxLabelsMagic);
    if (array.dims.size() != 1) std::abort();
  });
  return 0;
}
