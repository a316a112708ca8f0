// The SHA-NI PBKDF2 loops (sha256-x86.c), one and two lanes, present on x86-64 builds with GCC or Clang.
#ifndef PICCOLO_SHA256_X86_H
#define PICCOLO_SHA256_X86_H
#include <stdint.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define PICCOLO_HAVE_SHANI_KERNEL 1
/** Whether this CPU has the SHA extensions (and the SSE levels the loop uses). */
int cpu_has_shani(void);
/**
 * `rounds` PBKDF2 iterations after U1: `inner`/`outer` are the HMAC halves' states after their key
 * block (sha256_state.h), `u` is U1 and `t` the running XOR (updated in place).
 */
void pbkdf2_iterate_shani(const uint32_t inner[8], const uint32_t outer[8], const unsigned char u[32], unsigned char t[32], uint32_t rounds);
/** The same `rounds` iterations of two blocks (a and b) in one loop; both `u` end as their last U. */
void pbkdf2_iterate_shani_x2(const uint32_t inner_a[8], const uint32_t outer_a[8], unsigned char u_a[32], unsigned char t_a[32],
                             const uint32_t inner_b[8], const uint32_t outer_b[8], unsigned char u_b[32], unsigned char t_b[32], uint32_t rounds);
#else
#define PICCOLO_HAVE_SHANI_KERNEL 0
#endif
#endif
