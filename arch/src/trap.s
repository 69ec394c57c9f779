@ Exception vectors and the common trap entry and exit.
@
@ Every exception builds a TrapFrame (see trap.rs) on the SVC stack of the
@ interrupted thread (srsdb + cps), so handlers run in SVC mode on an ordinary
@ kernel stack and a context switch is "return a different frame": arch_trap
@ returns the frame to resume and the exit path restores it. The exception
@ modes' own stacks are never used.

    .equ MODE_SVC, 0x13

    .section .text.vectors, "ax"
    .arm
    .align 5
    .global __vectors
__vectors:
    b       vec_reset
    b       vec_undef
    b       vec_svc
    b       vec_pabt
    b       vec_dabt
    b       vec_unused
    b       vec_irq
    b       vec_fiq

@ SAVE lr_adjust: pushes the TrapFrame (lr - lr_adjust is its pc: the
@ faulting instruction for aborts and undefined; the return address for SVC
@ and IRQ) and leaves r0 pointing at it, in SVC mode.
    .macro SAVE adjust
    .if \adjust
    sub     lr, lr, #\adjust
    .endif
    srsdb   sp!, #MODE_SVC          @ push pc, spsr onto the SVC stack
    cps     #MODE_SVC
    sub     sp, sp, #12
    str     lr, [sp, #8]            @ the interrupted SVC lr
    stmia   sp, {sp, lr}^           @ the user-mode sp and lr
    push    {r0-r12}
    mov     r0, sp
    .endm

@ TRAP kind, lr_adjust: SAVE, then arch_trap(frame, kind).
    .macro TRAP kind, adjust
    SAVE    \adjust
    mov     r1, #\kind
    b       trap_common
    .endm

vec_reset:  TRAP 0, 4
vec_undef:  TRAP 1, 4
@ A system call (svc from user mode) skips arch_trap and the kernel's
@ decoding of the trap kind: the kernel's kernel_syscall(frame) is its
@ whole dispatch. An svc from a privileged mode (a kernel thread's
@ reschedule) takes the general path.
vec_svc:
    SAVE    0
    ldr     r1, [r0, #68]           @ the frame's cpsr
    tst     r1, #0xF                @ user mode (0x10): low four bits clear
    movne   r1, #2                  @ TrapKind::SupervisorCall
    bne     trap_common
    bic     sp, sp, #7              @ AAPCS: 8-byte aligned stack at calls
    bl      kernel_syscall          @ r0 = frame to resume
    mov     sp, r0
    b       __trap_return
vec_pabt:   TRAP 3, 4
@ A data abort from SVC mode within a page of the SVC sp is taken for a
@ kernel stack overflow into its guard page (a frame may be written above
@ sp once sp has moved down): pushing a trap frame there would fault again,
@ forever. Move the SVC stack to the emergency stack first and
@ report it as trap kind 8. r0/r1 are parked below the abort-mode sp.
vec_dabt:
    str     r0, [sp, #-4]
    str     r1, [sp, #-8]
    mrs     r0, spsr
    and     r0, r0, #0x1F
    cmp     r0, #MODE_SVC
    bne     1f
    cps     #MODE_SVC
    mov     r1, sp
    cps     #0x17                   @ back to abort mode
    mrc     p15, 0, r0, c6, c0, 0   @ DFAR
    sub     r0, r1, r0
    add     r0, r0, #4096           @ |sp - DFAR| < 4096
    cmp     r0, #8192
    bhs     1f
    cps     #MODE_SVC
    ldr     sp, =__emergency_stack_top
    cps     #0x17
    ldr     r0, [sp, #-4]
    ldr     r1, [sp, #-8]
    TRAP    8, 8
1:  ldr     r0, [sp, #-4]
    ldr     r1, [sp, #-8]
    TRAP    4, 8
vec_unused: TRAP 5, 4
vec_irq:    TRAP 6, 4
vec_fiq:    TRAP 7, 4

trap_common:
    mov     r4, sp
    bic     sp, sp, #7              @ AAPCS: 8-byte aligned stack at calls
    bl      arch_trap               @ r0 = frame to resume
    mov     sp, r0
    .global __trap_return
__trap_return:
    @ Clear the exclusive monitor: the thread resumed (maybe not the one
    @ interrupted) may be between an ldrex and its strex, and a monitor left
    @ open by another thread's ldrex would let that strex succeed on a
    @ stale value (atomic read-modify-writes run with IRQs enabled).
    clrex
    pop     {r0-r12}
    ldmia   sp, {sp, lr}^           @ user-mode sp and lr
    nop
    ldr     lr, [sp, #8]
    add     sp, sp, #12
    rfeia   sp!                     @ pc and cpsr: back to the interrupted code

    .ltorg
