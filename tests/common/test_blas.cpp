// The BLAS behind LibTorch: the process must end up on OpenBLAS with a kernel
// that matches the CPU, because training time is nearly all matrix multiplies
// and the reference BLAS, or OpenBLAS' generic fallback kernel, runs them
// several times slower.
#include <cstdlib>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tinyae/blas.h"

TEST(Blas, RunsOnAFastKernel) {
  const tinyae::BlasInfo info = tinyae::query_blas();
  std::cout << "BLAS: " << info.library << "\nkernel: " << info.kernel << "\nthreads: " << info.threads
            << "\nCPU wants: " << tinyae::detect_openblas_coretype() << "\n";
  EXPECT_NE(info.library.find("OpenBLAS"), std::string::npos)
      << "libblas.so.3 is not OpenBLAS: run tools/setup.sh (update-alternatives --set libblas.so.3-x86_64-linux-gnu "
         "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3)";
  // A kernel the user chose with OPENBLAS_CORETYPE is respected; it only
  // has to be better than OpenBLAS' generic SSE fallback.
  EXPECT_TRUE(info.fast) << "OpenBLAS runs kernel '" << info.kernel << "', weaker than this CPU supports";
}

TEST(Blas, ThreadCountCanBeSet) {
  tinyae::set_blas_threads(1);
  EXPECT_EQ(tinyae::query_blas().threads, 1);
  tinyae::set_blas_threads(2);
  EXPECT_EQ(tinyae::query_blas().threads, 2);
}

TEST(Blas, MatrixMultiplyIsCorrectOnTheChosenKernel) {
  // A forced kernel must still compute the right thing: compare with double.
  torch::manual_seed(1);
  const torch::Tensor a = torch::rand({257, 300});
  const torch::Tensor b = torch::rand({300, 129});
  const double gap = (torch::mm(a, b).to(torch::kDouble) - torch::mm(a.to(torch::kDouble), b.to(torch::kDouble)))
                         .abs()
                         .max()
                         .item<double>();
  std::cout << "max |float - double| = " << gap << "\n";
  EXPECT_LT(gap, 1e-3);
}

int main(int argc, char** argv) {
  tinyae::prepare_blas_environment(argv);  // as tinyae's main does: may re-execute once
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
