// Picks a fast OpenBLAS kernel for this CPU and reports what BLAS is in use.
//
// LibTorch (Debian) calls whatever libblas.so.3 the alternatives system points
// at. We ask the loaded library who it is through dlsym, so the answer is
// about this process, not about the packaging. OpenBLAS 0.3.21 reads
// OPENBLAS_CORETYPE only at load time; when its own detection picked a weaker
// kernel than the CPU supports (it falls back to "Prescott" SSE3 kernels on
// CPUs newer than it knows), we set the variable and re-execute ourselves.
#include "tinyae/blas.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>

#include <spdlog/spdlog.h>

namespace tinyae {
namespace {

constexpr const char* kReexecGuard = "TINYAE_BLAS_REEXEC";

// SIMD level of an OpenBLAS x86 kernel: 1 SSE, 2 AVX, 3 AVX2, 4 AVX-512;
// 0 for names we do not know (never a reason to re-exec).
int kernel_level(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* n : {"skylakex", "cooperlake", "sapphirerapids"})
    if (name == n) return 4;
  for (const char* n : {"haswell", "zen", "excavator", "steamroller"})
    if (name == n) return 3;
  for (const char* n : {"sandybridge", "bulldozer", "piledriver"})
    if (name == n) return 2;
  for (const char* n : {"prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "katmai", "coppermine",
                        "northwood", "barcelona", "opteron", "nano"}) {
    if (name == n) return 1;
  }
  return 0;
}

template <typename Fn>
Fn blas_symbol(const char* name) {
  return reinterpret_cast<Fn>(::dlsym(RTLD_DEFAULT, name));
}

std::string openblas_corename() {
  auto fn = blas_symbol<char* (*)()>("openblas_get_corename");
  return fn ? std::string(fn()) : std::string();
}

}  // namespace

std::string detect_openblas_coretype() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl")) {
    return "SKYLAKEX";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "HASWELL";
  if (__builtin_cpu_supports("avx")) return "SANDYBRIDGE";
#endif
  return "";  // other architectures: OpenBLAS' own detection
}

void prepare_blas_environment(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr || std::getenv(kReexecGuard) != nullptr) return;
  const std::string loaded = openblas_corename();
  if (loaded.empty()) return;  // not OpenBLAS: query_blas() will warn
  const std::string wanted = detect_openblas_coretype();
  if (wanted.empty() || kernel_level(loaded) == 0 || kernel_level(loaded) >= kernel_level(wanted)) return;
  ::setenv("OPENBLAS_CORETYPE", wanted.c_str(), 1);
  ::setenv(kReexecGuard, loaded.c_str(), 1);
  ::execv("/proc/self/exe", argv);
  // execv only returns on failure: carry on with the slower kernel, say so.
  spdlog::warn("could not restart with OPENBLAS_CORETYPE={} (OpenBLAS chose {}): training will be slower", wanted,
               loaded);
}

BlasInfo query_blas() {
  BlasInfo info;
  if (auto config = blas_symbol<char* (*)()>("openblas_get_config")) {
    info.library = config();  // "OpenBLAS 0.3.21 DYNAMIC_ARCH ..."
    info.kernel = openblas_corename();
    if (auto threads = blas_symbol<int (*)()>("openblas_get_num_threads")) info.threads = threads();
    const int level = kernel_level(info.kernel);
    const std::string wanted = detect_openblas_coretype();
    const char* before = std::getenv(kReexecGuard);
    const char* user_choice = before == nullptr ? std::getenv("OPENBLAS_CORETYPE") : nullptr;
    if (user_choice != nullptr) {
      // The user's OPENBLAS_CORETYPE is respected (some machines set it
      // because a newer kernel misbehaves there); only a generic SSE kernel
      // is slow enough to warn about.
      info.fast = level == 0 || level >= kernel_level("sandybridge");
      if (!wanted.empty() && level != 0 && level < kernel_level(wanted)) {
        info.kernel += " (OPENBLAS_CORETYPE=" + std::string(user_choice) +
                       " from the environment; this CPU could run " + wanted + ")";
      }
    } else {
      info.fast = level == 0 || wanted.empty() || level >= kernel_level(wanted);
    }
    if (before != nullptr) {
      info.kernel += std::string(" (forced with OPENBLAS_CORETYPE; auto-detected ") + before + ")";
    }
  } else if (blas_symbol<void* (*)()>("bli_info_get_version_str")) {
    info.library = "BLIS";
    info.fast = true;
  } else {
    info.library = "reference BLAS (libblas3) or unknown";
    info.fast = false;
  }
  return info;
}

void set_blas_threads(int threads) {
  if (threads <= 0) return;
  if (auto fn = blas_symbol<void (*)(int)>("openblas_set_num_threads")) fn(threads);
}

}  // namespace tinyae
