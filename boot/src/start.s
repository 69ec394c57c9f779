@ Boot stub: the first instructions of the kernel.
@
@ Entered at the image's physical load address (RAM_BASE + 1 MiB) with the MMU
@ off, from QEMU's -kernel or from U-Boot's bootm/go. It builds the boot
@ translation table, turns the MMU on, jumps to the higher half, sets up the
@ exception-mode stacks, zeroes BSS and calls `kernel_entry(&BootInfo)`.
@
@ Boot L1 table (16 KiB, TTBCR.N = 0 for now):
@   RAM_BASE ..              identity map, 1 MiB sections, RWX (only for the jump;
@                            Rust removes it as its first act)
@   0xC000_0000 ..           all RAM, 1 MiB sections, kernel RW, XN (the linear map)
@   MiBs holding the image   coarse L2 tables, 4 KiB pages: text RX, rodata R XN,
@                            everything else RW XN (W^X from the first Rust instruction)
@   EARLY_UART_VBASE         the console UART's MiB, Device, kernel RW, XN

    .equ MODE_FIQ, 0x11
    .equ MODE_IRQ, 0x12
    .equ MODE_SVC, 0x13
    .equ MODE_ABT, 0x17
    .equ MODE_UND, 0x1B

    @ Short-descriptor encodings (ARM ARM B3.5.1; TEX remap and access flag off).
    @ Normal memory is outer and inner write-back write-allocate (TEX=001 C=1 B=1).
    .equ SECT_IDENTITY,  0x140E     @ section, normal, kernel RW, executable
    .equ SECT_RAM,       0x141E     @ section, normal, kernel RW, XN
    .equ SECT_DEVICE,    0x0416     @ section, shareable device, kernel RW, XN
    .equ PAGE_TEXT,      0x025E     @ small page, normal, kernel RO, executable
    .equ PAGE_RODATA,    0x025F     @ small page, normal, kernel RO, XN
    .equ PAGE_DATA,      0x005F     @ small page, normal, kernel RW, XN
    .equ COARSE_TABLE,   0x0001     @ L1 entry pointing at an L2 table, domain 0
    @ TTBR walk attributes: inner WB-WA (IRGN = 01: bit 6), outer WB-WA (RGN = 01).
    .equ TTBR_WALK,      0x48
    .equ BOOT_INFO_MAGIC, 0x4B4F4F42 @ "BOOK"

    .section .text.boot, "ax"
    .arm
    .global _start
    .type _start, %function
_start:
    cpsid   aif
    cps     #MODE_SVC

    @ A boot loader may have left the MMU or caches on: turn them off.
    mrc     p15, 0, r0, c1, c0, 0
    bic     r0, r0, #0x1            @ M
    bic     r0, r0, #0x4            @ C
    bic     r0, r0, #0x800          @ Z
    bic     r0, r0, #0x1000         @ I
    mcr     p15, 0, r0, c1, c0, 0
    isb

    @ r10 = physical - virtual: the offset between where we run and where we are linked.
    adr     r0, _start
    ldr     r1, =_start
    sub     r10, r0, r1

    @ The Cortex-A9 does not clear its L1 caches at reset: invalidate them.
    bl      invalidate_l1_dcache
    mov     r0, #0
    mcr     p15, 0, r0, c7, c5, 0   @ ICIALLU
    mcr     p15, 0, r0, c7, c5, 6   @ BPIALL
    mcr     p15, 0, r0, c8, c7, 0   @ TLBIALL
    dsb
    isb

    @ Cortex-A9 errata workarounds that are bits of the Diagnostic Control
    @ Register (c15, c0, 1), set before the MMU and caches come on (README
    @ "Errata"). The register is writable in the Secure state only, which
    @ is where the boot ROM, FSBL and U-Boot leave a Zynq's CPU; QEMU's A9
    @ model reads it as zero and ignores writes.
    mrc     p15, 0, r0, c0, c0, 0   @ MIDR
    ldr     r1, =0xFF0FFFF0
    and     r2, r0, r1
    ldr     r1, =0x410FC090         @ ARM Cortex-A9, any revision
    cmp     r2, r1
    bne     11f
    ubfx    r2, r0, #20, #4         @ variant (the X of rXpY)
    and     r3, r0, #0xF            @ revision (the Y)
    orr     r2, r3, r2, lsl #4      @ 0xXY
    mrc     p15, 0, r1, c15, c0, 1
    orr     r1, r1, #(1 << 4)       @ 794072: every revision
    cmp     r2, #0x30
    orrls   r1, r1, #(1 << 11)      @ 751472: up to r3p0
    mcr     p15, 0, r1, c15, c0, 1
    isb
11:
    @ r4 = physical address of the L1 table; clear it.
    ldr     r4, =__boot_l1
    add     r4, r4, r10
    mov     r0, r4
    add     r1, r4, #0x4000
    mov     r2, #0
1:  str     r2, [r0], #4
    cmp     r0, r1
    blo     1b

    @ Identity map of RAM (sections), so that the instruction after the MMU
    @ turns on is still mapped.
    ldr     r5, =RAM_BASE
    ldr     r6, =RAM_SIZE
    mov     r0, r5, lsr #20         @ first index
    add     r1, r0, r6, lsr #20     @ end index
    ldr     r2, =SECT_IDENTITY
    orr     r2, r2, r5
2:  str     r2, [r4, r0, lsl #2]
    add     r2, r2, #0x100000
    add     r0, r0, #1
    cmp     r0, r1
    blo     2b

    @ Linear map: all RAM at KERNEL_VBASE, RW, XN.
    ldr     r0, =KERNEL_VBASE
    mov     r0, r0, lsr #20
    add     r1, r0, r6, lsr #20
    ldr     r2, =SECT_RAM
    orr     r2, r2, r5
3:  str     r2, [r4, r0, lsl #2]
    add     r2, r2, #0x100000
    add     r0, r0, #1
    cmp     r0, r1
    blo     3b

    @ The MiBs that hold the kernel image point at L2 tables instead.
    ldr     r8, =__boot_l2
    add     r8, r8, r10             @ r8 = physical address of the first L2 table
    ldr     r0, =__kernel_start
    mov     r0, r0, lsr #20         @ first MiB index
    ldr     r1, =__kernel_end
    sub     r1, r1, #1
    mov     r1, r1, lsr #20         @ last MiB index
    orr     r2, r8, #COARSE_TABLE
4:  str     r2, [r4, r0, lsl #2]
    add     r2, r2, #0x400
    add     r0, r0, #1
    cmp     r0, r1
    bls     4b

    @ Fill those L2 tables, one small page per 4 KiB of the MiBs.
    @ r0 = virtual address, r1 = end, r2 = entry pointer,
    @ r5 = __text_start, r6 = __text_end, r7 = __rodata_end
    mov     r0, r0, lsl #20         @ (index one past the last) -> end address
    mov     r1, r0
    ldr     r0, =__kernel_start
    mov     r0, r0, lsr #20
    mov     r0, r0, lsl #20         @ start of the first MiB
    mov     r2, r8
    ldr     r5, =__text_start
    ldr     r6, =__text_end
    ldr     r7, =__rodata_end
5:  ldr     r3, =PAGE_DATA
    cmp     r0, r5
    blo     6f                      @ below the image: ordinary RAM
    cmp     r0, r6
    ldrlo   r3, =PAGE_TEXT
    blo     6f
    cmp     r0, r7
    ldrlo   r3, =PAGE_RODATA
6:  add     r9, r0, r10             @ physical address of this page
    orr     r3, r3, r9
    str     r3, [r2], #4
    add     r0, r0, #0x1000
    cmp     r0, r1
    blo     5b

    @ The console UART's MiB, for printing before ioremap exists.
    ldr     r0, =EARLY_UART_PHYS
    mov     r0, r0, lsr #20
    mov     r0, r0, lsl #20
    ldr     r1, =SECT_DEVICE
    orr     r0, r0, r1
    ldr     r1, =EARLY_UART_VBASE
    mov     r1, r1, lsr #20
    str     r0, [r4, r1, lsl #2]

    @ Translation registers: one 16 KiB table for now (TTBCR.N = 0), in both
    @ TTBRs so the kernel's half is already in TTBR1 when Rust enables the split.
    mov     r0, #0
    mcr     p15, 0, r0, c2, c0, 2   @ TTBCR
    mcr     p15, 0, r0, c13, c0, 1  @ CONTEXTIDR: ASID 0
    orr     r0, r4, #TTBR_WALK
    mcr     p15, 0, r0, c2, c0, 0   @ TTBR0
    mcr     p15, 0, r0, c2, c0, 1   @ TTBR1
    mov     r0, #1                  @ DACR: domain 0 client (permissions checked), others no access
    mcr     p15, 0, r0, c3, c0, 0
    dsb
    isb

    @ MMU, D-cache, I-cache and branch prediction on; no TEX remap, no access
    @ flag, exceptions in ARM state, vectors through VBAR, unaligned access allowed.
    mrc     p15, 0, r0, c1, c0, 0
    bic     r0, r0, #(1 << 1)       @ A
    bic     r0, r0, #(1 << 13)      @ V
    bic     r0, r0, #(1 << 28)      @ TRE
    bic     r0, r0, #(1 << 29)      @ AFE
    bic     r0, r0, #(1 << 30)      @ TE
    orr     r0, r0, #(1 << 0)       @ M
    orr     r0, r0, #(1 << 2)       @ C
    orr     r0, r0, #(1 << 11)      @ Z
    orr     r0, r0, #(1 << 12)      @ I
    ldr     r1, =high_entry
    mcr     p15, 0, r0, c1, c0, 0
    isb
    bx      r1                      @ to the higher half

high_entry:
    @ Exception-mode stacks (each with a guard page below it).
    cps     #MODE_IRQ
    ldr     sp, =__irq_stack_top
    cps     #MODE_ABT
    ldr     sp, =__abt_stack_top
    cps     #MODE_UND
    ldr     sp, =__und_stack_top
    cps     #MODE_FIQ
    ldr     sp, =__fiq_stack_top
    cps     #MODE_SVC
    ldr     sp, =__svc_stack_top

    @ Zero BSS.
    ldr     r0, =__bss_start
    ldr     r1, =__bss_end
    mov     r2, #0
7:  cmp     r0, r1
    strlo   r2, [r0], #4
    blo     7b

    @ BootInfo on the stack, fields in the order of kernel::boot::BootInfo.
    ldr     r0, =BOOT_INFO_MAGIC
    ldr     r1, =RAM_BASE
    ldr     r2, =RAM_SIZE
    ldr     r3, =__kernel_phys_start
    ldr     r5, =__kernel_phys_end
    add     r6, r4, #0              @ L1 table, physical
    mov     r7, r8                  @ first L2 table, physical
    ldr     r8, =__kernel_start
    mov     r8, r8, lsr #20
    ldr     r9, =__kernel_end
    sub     r9, r9, #1
    rsb     r8, r8, r9, lsr #20
    add     r8, r8, #1              @ number of L2 tables used
    mov     r4, r5
    mov     r5, r6
    mov     r6, r7
    mov     r7, r8
    push    {r0-r7}
    mov     r0, sp
    mov     fp, #0
    mov     lr, #0
    bl      kernel_entry
8:  wfi
    b       8b

@ Invalidates the L1 data cache by set/way. Clobbers r0-r6.
invalidate_l1_dcache:
    mov     r0, #0
    mcr     p15, 2, r0, c0, c0, 0   @ CSSELR: level 1 data cache
    isb
    mrc     p15, 1, r0, c0, c0, 0   @ CCSIDR
    and     r1, r0, #7
    add     r1, r1, #4              @ log2(line size in bytes)
    ubfx    r2, r0, #3, #10         @ ways - 1
    ubfx    r3, r0, #13, #15        @ sets - 1
    clz     r4, r2                  @ way field position
9:  mov     r5, r3
10: mov     r6, r2, lsl r4
    orr     r6, r6, r5, lsl r1
    mcr     p15, 0, r6, c7, c6, 2   @ DCISW
    subs    r5, r5, #1
    bge     10b
    subs    r2, r2, #1
    bge     9b
    dsb
    bx      lr

    .ltorg
