// Makes sure LibTorch's matrix multiplies run on a fast BLAS kernel.
//
// Debian's default libblas.so.3 is the reference BLAS (about 8x slower than
// OpenBLAS), and OpenBLAS 0.3.21 does not recognise some recent CPUs and falls
// back to generic SSE3 kernels (another 6x). OpenBLAS reads OPENBLAS_CORETYPE
// only when it is loaded, so the choice has to be made before the process
// starts: prepare_blas_environment() re-executes the program once with the
// right variables when they are missing.
#pragma once

#include <string>

namespace tinyae {

struct BlasInfo {
  std::string library;  // "OpenBLAS 0.3.21 ...", "reference BLAS", ...
  std::string kernel;   // OpenBLAS core name, e.g. "SkylakeX"; empty if not OpenBLAS
  int threads = 0;      // BLAS threads; 0 if unknown
  // false for the reference BLAS, a generic fallback kernel, or (when tinyae
  // chose the kernel) one weaker than the CPU supports
  bool fast = false;
};

// The OpenBLAS core type this CPU should use ("SKYLAKEX", "HASWELL",
// "SANDYBRIDGE", or "" to leave OpenBLAS' own detection alone), from CPUID.
std::string detect_openblas_coretype();

// Call first thing in main(). If OPENBLAS_CORETYPE is unset and this CPU
// needs it, sets it and re-executes /proc/self/exe with the same arguments
// (at most once: TINYAE_BLAS_REEXEC guards against loops). Returns normally
// when no re-exec is needed or possible.
void prepare_blas_environment(char** argv);

// What BLAS the process has loaded, asked at run time (dlsym on
// openblas_get_config / openblas_get_corename / openblas_get_num_threads).
BlasInfo query_blas();

// Sets the BLAS thread pool size (OpenBLAS), if the library supports it.
void set_blas_threads(int threads);

}  // namespace tinyae
