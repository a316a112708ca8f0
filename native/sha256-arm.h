// The ARMv8 SHA-2 PBKDF2 loops (sha256-arm.c), one and two lanes, present on arm64 builds with GCC or Clang.
#ifndef PICCOLO_SHA256_ARM_H
#define PICCOLO_SHA256_ARM_H
#include <stdint.h>

#if defined(__aarch64__) && defined(__linux__) && (defined(__GNUC__) || defined(__clang__))
#define PICCOLO_HAVE_ARMV8_KERNEL 1
/** Whether this CPU has the SHA-2 instructions (Linux's HWCAP_SHA2). */
int cpu_has_armv8_sha2(void);
/** As pbkdf2_iterate_shani (sha256-x86.h): `rounds` iterations after U1, `t` updated in place. */
void pbkdf2_iterate_armv8(const uint32_t inner[8], const uint32_t outer[8], const unsigned char u[32], unsigned char t[32], uint32_t rounds);
/** The same `rounds` iterations of two blocks (a and b) in one loop; both `u` end as their last U. */
void pbkdf2_iterate_armv8_x2(const uint32_t inner_a[8], const uint32_t outer_a[8], unsigned char u_a[32], unsigned char t_a[32],
                             const uint32_t inner_b[8], const uint32_t outer_b[8], unsigned char u_b[32], unsigned char t_b[32], uint32_t rounds);
#else
#define PICCOLO_HAVE_ARMV8_KERNEL 0
#endif
#endif
