// train.cpp (being written)
