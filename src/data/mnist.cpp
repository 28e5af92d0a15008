// mnist.cpp (being written)
