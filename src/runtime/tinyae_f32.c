/* tinyae_f32.c - float32 kernels (being written) */
typedef int tinyae_placeholder_t;
