// adamax.cpp (being written)
