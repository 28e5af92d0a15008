// export.cpp (being written)
