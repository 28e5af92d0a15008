// The training tests' main(): picks the OpenBLAS kernel as `tinyae` does
// (may re-execute once), so that the tests train at the product's speed and
// on the product's kernel.
#include <gtest/gtest.h>

#include "tinyae/blas.h"

int main(int argc, char** argv) {
  tinyae::prepare_blas_environment(argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
