/*
 * counter_cortex_m.c - the instruction counter on Cortex-M boards (see
 * firmware.h): SysTick on the processor clock.
 *
 * With QEMU's -icount shift=0 every instruction advances the virtual clock by
 * 1 ns, so SysTick ticks every (1 GHz / processor clock) instructions: 40 on
 * the 25 MHz MPS2 boards. main.c does not assume the ratio: it times
 * tinyae_fw_spin first and scales by what it finds, so a board whose SysTick
 * does not run reports 0 (no count) rather than a wrong figure. Resolution is
 * one tick per inference.
 */
#include "firmware.h"

#define TINYAE_FW_SYST_CSR (*(volatile uint32_t *)0xE000E010u) /* control and status */
#define TINYAE_FW_SYST_RVR (*(volatile uint32_t *)0xE000E014u) /* reload value */
#define TINYAE_FW_SYST_CVR (*(volatile uint32_t *)0xE000E018u) /* current value, counts down */
#define TINYAE_FW_CPUID (*(volatile uint32_t *)0xE000ED00u)
#define TINYAE_FW_SYST_MASK 0x00FFFFFFu /* SysTick is a 24-bit down-counter */

void tinyae_fw_counter_start(void)
{
    TINYAE_FW_SYST_RVR = TINYAE_FW_SYST_MASK;
    TINYAE_FW_SYST_CVR = 0; /* any write clears it; it reloads on the next tick */
    TINYAE_FW_SYST_CSR = 5; /* enable, processor clock, no interrupt */
}

uint32_t tinyae_fw_counter_read(void)
{
    return TINYAE_FW_SYST_CVR;
}

/* Valid below 2^24 ticks (~670 M instructions at 40 per tick). */
uint32_t tinyae_fw_counter_elapsed(uint32_t begin, uint32_t end)
{
    return (begin - end) & TINYAE_FW_SYST_MASK;
}

/* subs + bne: two instructions per iteration. Unified syntax: GCC hands
 * Thumb-1 (Cortex-M0) inline assembly over in divided syntax, where this
 * subs does not assemble. */
void tinyae_fw_spin(uint32_t iterations)
{
    __asm__ volatile(
        ".syntax unified\n"
        "1:\n\t"
        "subs %0, %0, #1\n\t"
        "bne 1b\n\t"
        : "+l"(iterations)
        :
        : "cc");
}

uint32_t tinyae_fw_cpu_id(void)
{
    return TINYAE_FW_CPUID;
}
