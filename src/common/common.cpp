// common.cpp (being written)
