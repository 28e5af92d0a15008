/*
 * counter_riscv.c - the instruction counter on RISC-V boards (see
 * firmware.h): the minstret CSR, which counts retired instructions.
 *
 * QEMU derives minstret from its instruction counter under -icount, so one
 * tick is one instruction; main.c's calibration (tinyae_fw_spin) checks that rather than
 * assuming it, and a board whose counter does not move reports 0 (no count).
 * Only the low 32 bits are read: an inference is far below 2^32 instructions.
 */
#include "firmware.h"

/* csrr is Zicsr, which -march=rv32imc leaves out (GCC 12 follows the 2019
 * ISA spec); the boards' -march stays rv32imc because that is the name
 * picolibc's and libgcc's RV32IMC libraries are selected by. */
#define TINYAE_FW_CSR_READ(csr, value) \
    __asm__ volatile(".option push\n\t.option arch, +zicsr\n\tcsrr %0, " csr "\n\t.option pop" : "=r"(value))

void tinyae_fw_counter_start(void)
{
}

uint32_t tinyae_fw_counter_read(void)
{
    uint32_t count;
    TINYAE_FW_CSR_READ("minstret", count);
    return count;
}

uint32_t tinyae_fw_counter_elapsed(uint32_t begin, uint32_t end)
{
    return end - begin; /* counts up; wraps modulo 2^32 */
}

/* addi + bnez: two instructions per iteration. */
void tinyae_fw_spin(uint32_t iterations)
{
    __asm__ volatile(
        "1:\n\t"
        "addi %0, %0, -1\n\t"
        "bnez %0, 1b\n\t"
        : "+r"(iterations));
}

/* misa: the base ISA and its extensions, one bit per letter (bit 0 = A). */
uint32_t tinyae_fw_cpu_id(void)
{
    uint32_t misa;
    TINYAE_FW_CSR_READ("misa", misa);
    return misa;
}
