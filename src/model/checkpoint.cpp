// checkpoint.cpp (being written)
