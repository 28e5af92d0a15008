/*
 * startup_riscv.c - entry code for the tinyae firmware on QEMU's RISC-V
 * boards (the RISC-V rows of src/deploy/boards.cpp), with picolibc.
 *
 * QEMU's virt machine with -bios none jumps to the start of its RAM, the
 * row's boot address, where firmware.ld puts the .vectors section:
 * tinyae_fw_reset sets the global pointer (for gp-relative small data) and
 * the stack (top of RAM), then tinyae_fw_start copies .data from flash,
 * clears .bss, points tp at the thread-local block (picolibc's errno lives
 * there), and exits with main's status through semihosting (picolibc's
 * libsemihost turns exit() into QEMU's exit status).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void);
void tinyae_fw_reset(void);
void tinyae_fw_start(void);
void tinyae_fw_fault(void);

/* From firmware.ld. */
extern uint32_t __data_start__;
extern uint32_t __data_end__;
extern const uint32_t __data_load__;
extern uint32_t __bss_start__;
extern uint32_t __bss_end__;
extern uint32_t __tls_base;

__attribute__((section(".vectors"), naked, used)) void tinyae_fw_reset(void)
{
    __asm__ volatile(
        ".option push\n\t"
        ".option norelax\n\t"
        "la gp, __global_pointer$\n\t"
        ".option pop\n\t"
        "la sp, __stack_top\n\t"
        "la t0, tinyae_fw_trap\n\t"
        ".option push\n\t"
        ".option arch, +zicsr\n\t" /* for csrw: see counter_riscv.c */
        "csrw mtvec, t0\n\t"
        ".option pop\n\t"
        "j tinyae_fw_start\n\t"
        /* Any trap: report it and stop (mtvec needs 4-byte alignment). */
        ".balign 4\n"
        "tinyae_fw_trap:\n\t"
        "j tinyae_fw_fault\n\t");
}

void tinyae_fw_start(void)
{
    memcpy(&__data_start__, &__data_load__, (size_t)((char *)&__data_end__ - (char *)&__data_start__));
    memset(&__bss_start__, 0, (size_t)((char *)&__bss_end__ - (char *)&__bss_start__));
    __asm__ volatile("mv tp, %0" : : "r"(&__tls_base));
    exit(main());
}

/* Any trap: report it without stdio (which may be what trapped) and stop
 * QEMU with a status tinyae deploy recognises. */
void tinyae_fw_fault(void)
{
    static const char message[] = "\nTINYAE_FAULT the firmware took an unexpected trap\n";
    (void)write(2, message, sizeof message - 1);
    _exit(70);
}
