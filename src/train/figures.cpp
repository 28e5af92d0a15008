// figures.cpp (being written)
