// blas.cpp (being written)
