// idx.cpp (being written)
