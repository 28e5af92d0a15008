/*
 * bench_m4.S - micro-benchmarks for the cycle model (tests/cycles/test_cycles.cpp),
 * bare metal on QEMU's Cortex-M4F board (mps2-an386), no C library.
 *
 * Each bench_* function is called once with BL; its expected cycles (the
 * test's table) follow from the Cortex-M4 TRM's timings, including its
 * closing BX LR (1 + P = 3) or POP {..., pc}. The reset handler prepares
 * what the functions read and ends QEMU through semihosting SYS_EXIT.
 */
    .syntax unified
    .cpu cortex-m4
    .fpu fpv4-sp-d16
    .thumb

    .section .vectors, "a"
    .word 0x20010000            /* initial SP */
    .word reset                 /* reset handler (Thumb bit set by .thumb_func) */

    .text

    .macro bench name
    .global \name
    .type \name, %function
    .thumb_func
    .align 2
\name:
    .endm

    .global reset
    .type reset, %function
    .thumb_func
reset:
    ldr r0, =0xE000ED88         /* CPACR: full access to the FPU */
    ldr r1, [r0]
    orr r1, r1, #(0xF << 20)
    str r1, [r0]
    dsb
    isb
    ldr r4, =0x20000000         /* data: the first word holds its own address (pointer chase) */
    str r4, [r4]
    movs r2, #0
    mov r0, r4
    bl bench_ldr_independent
    mov r0, r4
    bl bench_ldr_dependent
    mov r0, r4
    bl bench_str_immediate
    mov r0, r4
    bl bench_ldr_str_register
    mov r0, r4
    bl bench_ldrd
    mov r0, r4
    bl bench_ldm
    mov r0, r4
    bl bench_vldm
    bl bench_vfma
    bl bench_vfma_chain
    bl bench_vadd_vmul
    bl bench_smlad
    bl bench_sxtb16
    bl bench_branch_loop
    bl bench_it
    bl bench_push_pop
    mov r0, r4
    bl bench_address_stall
    movs r0, #0x18              /* SYS_EXIT */
    ldr r1, =0x20026            /* ADP_Stopped_ApplicationExit */
    bkpt 0xab
.Lhang:
    b .Lhang
    .ltorg

bench bench_ldr_independent     /* 2 + 7 x 1 (pipelined) + 3 = 12 */
    ldr r1, [r0]
    ldr r2, [r0, #4]
    ldr r3, [r0, #8]
    ldr r1, [r0, #12]
    ldr r2, [r0]
    ldr r3, [r0, #4]
    ldr r1, [r0, #8]
    ldr r2, [r0, #12]
    bx lr

bench bench_ldr_dependent       /* 8 x 2 (each address is the previous load) + 3 = 19 */
    ldr r0, [r0]
    ldr r0, [r0]
    ldr r0, [r0]
    ldr r0, [r0]
    ldr r0, [r0]
    ldr r0, [r0]
    ldr r0, [r0]
    ldr r0, [r0]
    bx lr

bench bench_str_immediate       /* 8 x 1 (write buffer) + 3 = 11 */
    str r1, [r0]
    str r1, [r0, #4]
    str r1, [r0, #8]
    str r1, [r0, #12]
    str r1, [r0, #16]
    str r1, [r0, #20]
    str r1, [r0, #24]
    str r1, [r0, #28]
    bx lr

bench bench_ldr_str_register    /* movs 1, ldr 2, str after ldr 1, str after str 2, + 3 = 9 */
    movs r2, #4
    ldr r1, [r0]
    str r1, [r0, r2]
    str r1, [r0, r2]
    bx lr

bench bench_ldrd                /* 4 x (1 + 2) + 3 = 15 */
    ldrd r2, r3, [r0]
    ldrd r2, r3, [r0, #8]
    ldrd r2, r3, [r0]
    ldrd r2, r3, [r0, #8]
    bx lr

bench bench_ldm                 /* 2 x (1 + 3) + 3 = 11 */
    ldmia r0, {r1, r2, r3}
    ldmia r0, {r1, r2, r3}
    bx lr

bench bench_vldm                /* (1 + 8) + (1 + 8) + (1 + 4, two D registers) + 3 = 26 */
    vldmia r0, {s0-s7}
    vldmia r0, {s8-s15}
    vldmia r0, {d8-d9}
    bx lr

bench bench_vfma                /* 8 independent x 3 + 3 = 27 */
    vfma.f32 s0, s8, s9
    vfma.f32 s1, s8, s9
    vfma.f32 s2, s8, s9
    vfma.f32 s3, s8, s9
    vfma.f32 s4, s8, s9
    vfma.f32 s5, s8, s9
    vfma.f32 s6, s8, s9
    vfma.f32 s7, s8, s9
    bx lr

bench bench_vfma_chain          /* 8 back-to-back on one accumulator x 3 + 3 = 27 */
    vfma.f32 s0, s8, s9
    vfma.f32 s0, s8, s9
    vfma.f32 s0, s8, s9
    vfma.f32 s0, s8, s9
    vfma.f32 s0, s8, s9
    vfma.f32 s0, s8, s9
    vfma.f32 s0, s8, s9
    vfma.f32 s0, s8, s9
    bx lr

bench bench_vadd_vmul           /* 8 x 1 + 3 = 11 */
    vadd.f32 s0, s1, s2
    vmul.f32 s3, s1, s2
    vadd.f32 s4, s1, s2
    vmul.f32 s5, s1, s2
    vadd.f32 s0, s1, s2
    vmul.f32 s3, s1, s2
    vadd.f32 s4, s1, s2
    vmul.f32 s5, s1, s2
    bx lr

bench bench_smlad               /* 8 x 1 + 3 = 11 */
    smlad r1, r2, r3, r1
    smlad r1, r2, r3, r1
    smlad r1, r2, r3, r1
    smlad r1, r2, r3, r1
    smlad r1, r2, r3, r1
    smlad r1, r2, r3, r1
    smlad r1, r2, r3, r1
    smlad r1, r2, r3, r1
    bx lr

bench bench_sxtb16              /* 8 x 1 + 3 = 11 */
    sxtb16 r1, r2
    sxtb16 r3, r2, ror #8
    sxtb16 r1, r2
    sxtb16 r3, r2, ror #8
    sxtb16 r1, r2
    sxtb16 r3, r2, ror #8
    sxtb16 r1, r2
    sxtb16 r3, r2, ror #8
    bx lr

bench bench_branch_loop         /* movs 1, 4 x subs 1, 3 taken bne x (1 + 2), 1 not taken, + 3 = 18 */
    movs r1, #4
.Lloop:
    subs r1, #1
    bne .Lloop
    bx lr

bench bench_it                  /* cmp 1, it folded 0, mov 1; cmp.w 1, it 1, mov 1; + 3 = 8 */
    cmp r0, r0
    it eq
    moveq r1, r2
    cmp.w r0, r0
    it eq
    moveq r1, r2
    bx lr

bench bench_push_pop            /* push 1 + 5, pop 1 + 5 + 2 (loads the PC) = 14 */
    push {r4, r5, r6, r7, lr}
    pop {r4, r5, r6, r7, pc}

bench bench_address_stall       /* 2 x (add 1, ldr 2 + 1 waiting for the add's result) = 8, + 3 = 11 */
    add r1, r0, #0
    ldr r2, [r1]
    add r1, r0, #4
    ldr r2, [r1]
    bx lr
