/*
 * startup_cortex_m.c - vector table and reset handler for the tinyae
 * firmware on QEMU's Cortex-M boards (every Arm row of src/deploy/boards.cpp).
 *
 * Linked with -nostartfiles: newlib's semihosting crt0 would move the stack to
 * wherever QEMU's SYS_HEAPINFO says, so this reset handler does its job
 * instead and keeps the stack the vector table sets (top of RAM, see
 * firmware.ld): enable the FPU and Helium if the core has them, copy .data
 * from flash, clear .bss, open the semihosting handles, run constructors,
 * call main, exit with its status (QEMU's -semihosting turns exit() into the
 * emulator's exit status).
 *
 * The vector table sits where the board's core fetches it at reset (the
 * row's boot address): 0 on the MPS2 boards and the micro:bit, the Secure
 * alias 0x10000000 on the TrustZone boards (Cortex-M33, M55), which start in
 * Secure state.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void);
void tinyae_fw_reset(void);
void tinyae_fw_fault(void);

/* From newlib / librdimon. */
extern void initialise_monitor_handles(void);
extern void __libc_init_array(void);

/* From firmware.ld. */
extern uint32_t __stack_top;
extern uint32_t __data_start__;
extern uint32_t __data_end__;
extern const uint32_t __data_load__;
extern uint32_t __bss_start__;
extern uint32_t __bss_end__;

#define TINYAE_FW_CPACR (*(volatile uint32_t *)0xE000ED88u)

/* The 16 Cortex-M system entries; the firmware uses no device interrupts.
 * (0: initial SP, 1: reset, 2: NMI, 3: HardFault, 4: MemManage, 5: BusFault,
 * 6: UsageFault, 7: SecureFault, 8-10 reserved, 11: SVCall, 12: DebugMon,
 * 13 reserved, 14: PendSV, 15: SysTick.) */
__attribute__((section(".vectors"), used)) static void (*const tinyae_fw_vectors[16])(void) = {
    (void (*)(void))(uintptr_t)&__stack_top,
    tinyae_fw_reset,
    tinyae_fw_fault,
    tinyae_fw_fault,
    tinyae_fw_fault,
    tinyae_fw_fault,
    tinyae_fw_fault,
    tinyae_fw_fault,
    0,
    0,
    0,
    tinyae_fw_fault,
    tinyae_fw_fault,
    0,
    tinyae_fw_fault,
    tinyae_fw_fault,
};

void tinyae_fw_reset(void)
{
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    /* Full access to coprocessors 10 and 11 (the FPU, and Helium on the
     * M55), CPACR bits 20-23; until then any float or vector instruction
     * faults. A core without them has no CPACR to write. */
    TINYAE_FW_CPACR |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    memcpy(&__data_start__, &__data_load__, (size_t)((char *)&__data_end__ - (char *)&__data_start__));
    memset(&__bss_start__, 0, (size_t)((char *)&__bss_end__ - (char *)&__bss_start__));
    initialise_monitor_handles();
    __libc_init_array();
    exit(main());
}

/* __libc_init_array and __libc_fini_array call these; crti.o would provide
 * them, but -nostartfiles leaves it out, and constructors run from
 * .init_array anyway. */
void _init(void);
void _fini(void);
void _init(void)
{
}
void _fini(void)
{
}

/* Any fault or unexpected exception: report it without stdio (which may be
 * what faulted) and stop QEMU with a status tinyae deploy recognises. */
void tinyae_fw_fault(void)
{
    static const char message[] = "\nTINYAE_FAULT the firmware took an unexpected exception\n";
    (void)write(2, message, sizeof message - 1);
    _exit(70);
}
