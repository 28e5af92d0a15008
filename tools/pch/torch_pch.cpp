// Owner of the precompiled LibTorch header (see tinyae_use_torch_pch in the
// top-level CMakeLists.txt); it has no code of its own.
#include <torch/torch.h>
