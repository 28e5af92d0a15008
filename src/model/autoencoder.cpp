// autoencoder.cpp (being written)
