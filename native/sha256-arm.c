// The PBKDF2 iteration loop on the ARMv8 SHA-2 instructions (SHA256H, SHA256H2, SHA256SU0/1), with every
// value in registers, as sha256-x86.c does on x86-64 (see there for why a loop of its own). The file is
// compiled for plain armv8-a; only these functions use the instructions (target attribute), and they run
// only when Linux reports HWCAP_SHA2.
#include "sha256-arm.h"
#include "sha256.h"

#if PICCOLO_HAVE_ARMV8_KERNEL
#include <arm_neon.h>
#include <sys/auxv.h>

#ifndef HWCAP_SHA2
#define HWCAP_SHA2 (1 << 6)
#endif


#define SHA2 __attribute__((target("arch=armv8-a+crypto")))
#define KERNEL SHA2 static inline

// Four rounds of one chain: state (abcd, efgh) in the digest's word order, message vector m.
#define FOUR_ROUNDS(abcd, efgh, m, k)                 \
  do {                                                \
    uint32x4_t wk = vaddq_u32((m), (k)), before = abcd; \
    abcd = vsha256hq_u32(abcd, efgh, wk);             \
    efgh = vsha256h2q_u32(efgh, before, wk);          \
  } while (0)
#define NEXT_MESSAGE(m0, m1, m2, m3) vsha256su1q_u32(vsha256su0q_u32((m0), (m1)), (m2), (m3))

/** One compression of the block (m0..m3, words in host order) into the state (s[0] = ABCD, s[1] = EFGH). */
KERNEL void compress(uint32x4_t s[2], uint32x4_t m0, uint32x4_t m1, uint32x4_t m2, uint32x4_t m3) {
  uint32x4_t abcd = s[0], efgh = s[1];
  const uint32_t *k = SHA256_ROUND_CONSTANTS;
  FOUR_ROUNDS(abcd, efgh, m0, vld1q_u32(k));
  FOUR_ROUNDS(abcd, efgh, m1, vld1q_u32(k + 4));
  FOUR_ROUNDS(abcd, efgh, m2, vld1q_u32(k + 8));
  FOUR_ROUNDS(abcd, efgh, m3, vld1q_u32(k + 12));
  for (k += 16; k < SHA256_ROUND_CONSTANTS + 64; k += 16) {
    m0 = NEXT_MESSAGE(m0, m1, m2, m3);
    FOUR_ROUNDS(abcd, efgh, m0, vld1q_u32(k));
    m1 = NEXT_MESSAGE(m1, m2, m3, m0);
    FOUR_ROUNDS(abcd, efgh, m1, vld1q_u32(k + 4));
    m2 = NEXT_MESSAGE(m2, m3, m0, m1);
    FOUR_ROUNDS(abcd, efgh, m2, vld1q_u32(k + 8));
    m3 = NEXT_MESSAGE(m3, m0, m1, m2);
    FOUR_ROUNDS(abcd, efgh, m3, vld1q_u32(k + 12));
  }
  s[0] = vaddq_u32(s[0], abcd);
  s[1] = vaddq_u32(s[1], efgh);
}

/** Two chains' compressions in one instruction stream: each fills the other's wait on its SHA256H. */
KERNEL void compress_x2(uint32x4_t sa[2], uint32x4_t a0, uint32x4_t a1, uint32x4_t a2, uint32x4_t a3, uint32x4_t sb[2], uint32x4_t b0,
                        uint32x4_t b1, uint32x4_t b2, uint32x4_t b3) {
  uint32x4_t abcd_a = sa[0], efgh_a = sa[1], abcd_b = sb[0], efgh_b = sb[1];
  const uint32_t *k = SHA256_ROUND_CONSTANTS;
#define BOTH(ma, mb, at)                                   \
  do {                                                     \
    uint32x4_t kk = vld1q_u32(at);                         \
    FOUR_ROUNDS(abcd_a, efgh_a, ma, kk);                   \
    FOUR_ROUNDS(abcd_b, efgh_b, mb, kk);                   \
  } while (0)
  BOTH(a0, b0, k);
  BOTH(a1, b1, k + 4);
  BOTH(a2, b2, k + 8);
  BOTH(a3, b3, k + 12);
  for (k += 16; k < SHA256_ROUND_CONSTANTS + 64; k += 16) {
    a0 = NEXT_MESSAGE(a0, a1, a2, a3);
    b0 = NEXT_MESSAGE(b0, b1, b2, b3);
    BOTH(a0, b0, k);
    a1 = NEXT_MESSAGE(a1, a2, a3, a0);
    b1 = NEXT_MESSAGE(b1, b2, b3, b0);
    BOTH(a1, b1, k + 4);
    a2 = NEXT_MESSAGE(a2, a3, a0, a1);
    b2 = NEXT_MESSAGE(b2, b3, b0, b1);
    BOTH(a2, b2, k + 8);
    a3 = NEXT_MESSAGE(a3, a0, a1, a2);
    b3 = NEXT_MESSAGE(b3, b0, b1, b2);
    BOTH(a3, b3, k + 12);
  }
#undef BOTH
  sa[0] = vaddq_u32(sa[0], abcd_a);
  sa[1] = vaddq_u32(sa[1], efgh_a);
  sb[0] = vaddq_u32(sb[0], abcd_b);
  sb[1] = vaddq_u32(sb[1], efgh_b);
}

/** 16 big-endian bytes as four words in host order. */
KERNEL uint32x4_t load_words(const unsigned char *p) { return vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p))); }
KERNEL void store_words(unsigned char *p, uint32x4_t w) { vst1q_u8(p, vrev32q_u8(vreinterpretq_u8_u32(w))); }

// Words 8-15 of every block: the padding of a 32-byte message after one 64-byte block (768 bits).
static const uint32_t PADDING[4] = {0x80000000u, 0, 0, 0}, LENGTH[4] = {0, 0, 0, 768};

SHA2 void pbkdf2_iterate_armv8(const uint32_t inner[8], const uint32_t outer[8], const unsigned char u[32], unsigned char t[32], uint32_t rounds) {
  const uint32x4_t padding = vld1q_u32(PADDING), length = vld1q_u32(LENGTH);
  const uint32x4_t in0 = vld1q_u32(inner), in1 = vld1q_u32(inner + 4), out0 = vld1q_u32(outer), out1 = vld1q_u32(outer + 4);
  uint32x4_t w0 = load_words(u), w1 = load_words(u + 16), t0 = load_words(t), t1 = load_words(t + 16), s[2];
  for (uint32_t i = 0; i < rounds; i++) {
    s[0] = in0, s[1] = in1;
    compress(s, w0, w1, padding, length);
    w0 = s[0], w1 = s[1];
    s[0] = out0, s[1] = out1;
    compress(s, w0, w1, padding, length);
    w0 = s[0], w1 = s[1];
    t0 = veorq_u32(t0, w0);
    t1 = veorq_u32(t1, w1);
  }
  store_words(t, t0);
  store_words(t + 16, t1);
}

SHA2 void pbkdf2_iterate_armv8_x2(const uint32_t inner_a[8], const uint32_t outer_a[8], unsigned char u_a[32], unsigned char t_a[32],
                                  const uint32_t inner_b[8], const uint32_t outer_b[8], unsigned char u_b[32], unsigned char t_b[32], uint32_t rounds) {
  const uint32x4_t padding = vld1q_u32(PADDING), length = vld1q_u32(LENGTH);
  const uint32x4_t ia0 = vld1q_u32(inner_a), ia1 = vld1q_u32(inner_a + 4), oa0 = vld1q_u32(outer_a), oa1 = vld1q_u32(outer_a + 4);
  const uint32x4_t ib0 = vld1q_u32(inner_b), ib1 = vld1q_u32(inner_b + 4), ob0 = vld1q_u32(outer_b), ob1 = vld1q_u32(outer_b + 4);
  uint32x4_t wa0 = load_words(u_a), wa1 = load_words(u_a + 16), ta0 = load_words(t_a), ta1 = load_words(t_a + 16);
  uint32x4_t wb0 = load_words(u_b), wb1 = load_words(u_b + 16), tb0 = load_words(t_b), tb1 = load_words(t_b + 16);
  uint32x4_t sa[2], sb[2];
  for (uint32_t i = 0; i < rounds; i++) {
    sa[0] = ia0, sa[1] = ia1, sb[0] = ib0, sb[1] = ib1;
    compress_x2(sa, wa0, wa1, padding, length, sb, wb0, wb1, padding, length);
    wa0 = sa[0], wa1 = sa[1], wb0 = sb[0], wb1 = sb[1];
    sa[0] = oa0, sa[1] = oa1, sb[0] = ob0, sb[1] = ob1;
    compress_x2(sa, wa0, wa1, padding, length, sb, wb0, wb1, padding, length);
    wa0 = sa[0], wa1 = sa[1], wb0 = sb[0], wb1 = sb[1];
    ta0 = veorq_u32(ta0, wa0);
    ta1 = veorq_u32(ta1, wa1);
    tb0 = veorq_u32(tb0, wb0);
    tb1 = veorq_u32(tb1, wb1);
  }
  store_words(u_a, wa0);
  store_words(u_a + 16, wa1);
  store_words(u_b, wb0);
  store_words(u_b + 16, wb1);
  store_words(t_a, ta0);
  store_words(t_a + 16, ta1);
  store_words(t_b, tb0);
  store_words(t_b + 16, tb1);
}

int cpu_has_armv8_sha2(void) { return (getauxval(AT_HWCAP) & HWCAP_SHA2) != 0; }
#endif
