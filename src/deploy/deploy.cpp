// deploy.cpp (being written)
