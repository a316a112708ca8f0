// The PBKDF2 iteration loop on x86-64's SHA extensions (SHA-NI), with every value in registers.
//
// Why not OpenSSL's SHA256_Transform, which uses the same instructions: each call loads and byte-swaps
// the block, reshuffles the state in and out and stores it, and the chain of 1.2 million compressions
// in a 600 000-iteration hash is strictly sequential, so that per-call overhead is paid in full. Here
// the digest of one HMAC half goes straight into the next half's message registers.
#include "sha256-x86.h"
#include "sha256.h"

#if PICCOLO_HAVE_SHANI_KERNEL
#include <cpuid.h>
#include <immintrin.h>
#include <string.h>


#define KERNEL __attribute__((target("sha,sse4.1,ssse3"))) static inline

// Four rounds: the two SHA256RNDS2 of one message vector. State is the instructions' (ABEF, CDGH) pair.
#define FOUR_ROUNDS(message, k)                                         \
  do {                                                                  \
    __m128i wk = _mm_add_epi32((message), _mm_loadu_si128(k));          \
    cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);                       \
    abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E)); \
  } while (0)

// The next message vector of the schedule, from the four before it.
#define NEXT_MESSAGE(m0, m1, m2, m3) \
  _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32((m0), (m1)), _mm_alignr_epi8((m3), (m2), 4)), (m3))

/** One compression of the block (m0..m3, words in host order) into the state (abef, cdgh). */
KERNEL void compress(__m128i *state_abef, __m128i *state_cdgh, __m128i m0, __m128i m1, __m128i m2, __m128i m3) {
  __m128i abef = *state_abef, cdgh = *state_cdgh;
  const __m128i *k = (const __m128i *)SHA256_ROUND_CONSTANTS;
  FOUR_ROUNDS(m0, k++);
  FOUR_ROUNDS(m1, k++);
  FOUR_ROUNDS(m2, k++);
  FOUR_ROUNDS(m3, k++);
  for (int group = 0; group < 3; group++) {
    m0 = NEXT_MESSAGE(m0, m1, m2, m3);
    FOUR_ROUNDS(m0, k++);
    m1 = NEXT_MESSAGE(m1, m2, m3, m0);
    FOUR_ROUNDS(m1, k++);
    m2 = NEXT_MESSAGE(m2, m3, m0, m1);
    FOUR_ROUNDS(m2, k++);
    m3 = NEXT_MESSAGE(m3, m0, m1, m2);
    FOUR_ROUNDS(m3, k++);
  }
  *state_abef = _mm_add_epi32(abef, *state_abef);
  *state_cdgh = _mm_add_epi32(cdgh, *state_cdgh);
}

/** The state pair as the digest's words in order (A B C D), (E F G H): the next block's first half. */
KERNEL void state_to_words(__m128i abef, __m128i cdgh, __m128i *abcd, __m128i *efgh) {
  *abcd = _mm_shuffle_epi32(_mm_unpackhi_epi64(cdgh, abef), 0x1B);
  *efgh = _mm_shuffle_epi32(_mm_unpacklo_epi64(cdgh, abef), 0x1B);
}

/** OpenSSL's h[0..7] (A..H) as the instructions' state pair. */
KERNEL void state_from_words(const uint32_t h[8], __m128i *abef, __m128i *cdgh) {
  __m128i badc = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)h), 0xB1);
  __m128i hgfe = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(h + 4)), 0x1B);
  *abef = _mm_alignr_epi8(badc, hgfe, 8);
  *cdgh = _mm_blend_epi16(hgfe, badc, 0xF0);
}

__attribute__((target("sha,sse4.1,ssse3"))) void pbkdf2_iterate_shani(const uint32_t inner[8], const uint32_t outer[8],
                                                                        const unsigned char u[32], unsigned char t[32], uint32_t rounds) {
  const __m128i big_endian = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
  // Words 8-15 of every block: the padding of a 32-byte message after one 64-byte block (768 bits).
  const __m128i padding = _mm_set_epi32(0, 0, 0, (int)0x80000000u), length = _mm_set_epi32(768, 0, 0, 0);
  __m128i inner_abef, inner_cdgh, outer_abef, outer_cdgh, abef, cdgh;
  state_from_words(inner, &inner_abef, &inner_cdgh);
  state_from_words(outer, &outer_abef, &outer_cdgh);
  __m128i w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)u), big_endian);
  __m128i w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(u + 16)), big_endian);
  __m128i t0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)t), big_endian);
  __m128i t1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(t + 16)), big_endian);
  for (uint32_t i = 0; i < rounds; i++) {
    abef = inner_abef, cdgh = inner_cdgh;
    compress(&abef, &cdgh, w0, w1, padding, length);
    state_to_words(abef, cdgh, &w0, &w1);
    abef = outer_abef, cdgh = outer_cdgh;
    compress(&abef, &cdgh, w0, w1, padding, length);
    state_to_words(abef, cdgh, &w0, &w1);
    t0 = _mm_xor_si128(t0, w0);
    t1 = _mm_xor_si128(t1, w1);
  }
  _mm_storeu_si128((__m128i *)t, _mm_shuffle_epi8(t0, big_endian));
  _mm_storeu_si128((__m128i *)(t + 16), _mm_shuffle_epi8(t1, big_endian));
}

// Two blocks' four rounds, interleaved: each chain's SHA256RNDS2 waits for its own previous one, and
// the other chain's instructions fill that wait.
#define FOUR_ROUNDS_X2(ma, mb, k)                                          \
  do {                                                                     \
    __m128i kk = _mm_loadu_si128(k);                                       \
    __m128i wka = _mm_add_epi32((ma), kk), wkb = _mm_add_epi32((mb), kk);  \
    cdgh_a = _mm_sha256rnds2_epu32(cdgh_a, abef_a, wka);                   \
    cdgh_b = _mm_sha256rnds2_epu32(cdgh_b, abef_b, wkb);                   \
    abef_a = _mm_sha256rnds2_epu32(abef_a, cdgh_a, _mm_shuffle_epi32(wka, 0x0E)); \
    abef_b = _mm_sha256rnds2_epu32(abef_b, cdgh_b, _mm_shuffle_epi32(wkb, 0x0E)); \
  } while (0)

/** One compression each of two independent blocks into two states, in one instruction stream. */
KERNEL void compress_x2(__m128i *state_a[2], __m128i a0, __m128i a1, __m128i a2, __m128i a3, __m128i *state_b[2], __m128i b0,
                        __m128i b1, __m128i b2, __m128i b3) {
  __m128i abef_a = *state_a[0], cdgh_a = *state_a[1], abef_b = *state_b[0], cdgh_b = *state_b[1];
  const __m128i *k = (const __m128i *)SHA256_ROUND_CONSTANTS;
  FOUR_ROUNDS_X2(a0, b0, k++);
  FOUR_ROUNDS_X2(a1, b1, k++);
  FOUR_ROUNDS_X2(a2, b2, k++);
  FOUR_ROUNDS_X2(a3, b3, k++);
  for (int group = 0; group < 3; group++) {
    a0 = NEXT_MESSAGE(a0, a1, a2, a3);
    b0 = NEXT_MESSAGE(b0, b1, b2, b3);
    FOUR_ROUNDS_X2(a0, b0, k++);
    a1 = NEXT_MESSAGE(a1, a2, a3, a0);
    b1 = NEXT_MESSAGE(b1, b2, b3, b0);
    FOUR_ROUNDS_X2(a1, b1, k++);
    a2 = NEXT_MESSAGE(a2, a3, a0, a1);
    b2 = NEXT_MESSAGE(b2, b3, b0, b1);
    FOUR_ROUNDS_X2(a2, b2, k++);
    a3 = NEXT_MESSAGE(a3, a0, a1, a2);
    b3 = NEXT_MESSAGE(b3, b0, b1, b2);
    FOUR_ROUNDS_X2(a3, b3, k++);
  }
  *state_a[0] = _mm_add_epi32(abef_a, *state_a[0]);
  *state_a[1] = _mm_add_epi32(cdgh_a, *state_a[1]);
  *state_b[0] = _mm_add_epi32(abef_b, *state_b[0]);
  *state_b[1] = _mm_add_epi32(cdgh_b, *state_b[1]);
}

__attribute__((target("sha,sse4.1,ssse3"))) void pbkdf2_iterate_shani_x2(const uint32_t inner_a[8], const uint32_t outer_a[8],
                                                                           unsigned char u_a[32], unsigned char t_a[32],
                                                                           const uint32_t inner_b[8], const uint32_t outer_b[8],
                                                                           unsigned char u_b[32], unsigned char t_b[32], uint32_t rounds) {
  const __m128i big_endian = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
  const __m128i padding = _mm_set_epi32(0, 0, 0, (int)0x80000000u), length = _mm_set_epi32(768, 0, 0, 0);
  __m128i ia[2], oa[2], ib[2], ob[2], sa[2], sb[2];
  __m128i *pa[2] = {&sa[0], &sa[1]}, *pb[2] = {&sb[0], &sb[1]};
  state_from_words(inner_a, &ia[0], &ia[1]);
  state_from_words(outer_a, &oa[0], &oa[1]);
  state_from_words(inner_b, &ib[0], &ib[1]);
  state_from_words(outer_b, &ob[0], &ob[1]);
  __m128i wa0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)u_a), big_endian);
  __m128i wa1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(u_a + 16)), big_endian);
  __m128i wb0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)u_b), big_endian);
  __m128i wb1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(u_b + 16)), big_endian);
  __m128i ta0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)t_a), big_endian);
  __m128i ta1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(t_a + 16)), big_endian);
  __m128i tb0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)t_b), big_endian);
  __m128i tb1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(t_b + 16)), big_endian);
  for (uint32_t i = 0; i < rounds; i++) {
    sa[0] = ia[0], sa[1] = ia[1], sb[0] = ib[0], sb[1] = ib[1];
    compress_x2(pa, wa0, wa1, padding, length, pb, wb0, wb1, padding, length);
    state_to_words(sa[0], sa[1], &wa0, &wa1);
    state_to_words(sb[0], sb[1], &wb0, &wb1);
    sa[0] = oa[0], sa[1] = oa[1], sb[0] = ob[0], sb[1] = ob[1];
    compress_x2(pa, wa0, wa1, padding, length, pb, wb0, wb1, padding, length);
    state_to_words(sa[0], sa[1], &wa0, &wa1);
    state_to_words(sb[0], sb[1], &wb0, &wb1);
    ta0 = _mm_xor_si128(ta0, wa0);
    ta1 = _mm_xor_si128(ta1, wa1);
    tb0 = _mm_xor_si128(tb0, wb0);
    tb1 = _mm_xor_si128(tb1, wb1);
  }
  _mm_storeu_si128((__m128i *)u_a, _mm_shuffle_epi8(wa0, big_endian));
  _mm_storeu_si128((__m128i *)(u_a + 16), _mm_shuffle_epi8(wa1, big_endian));
  _mm_storeu_si128((__m128i *)u_b, _mm_shuffle_epi8(wb0, big_endian));
  _mm_storeu_si128((__m128i *)(u_b + 16), _mm_shuffle_epi8(wb1, big_endian));
  _mm_storeu_si128((__m128i *)t_a, _mm_shuffle_epi8(ta0, big_endian));
  _mm_storeu_si128((__m128i *)(t_a + 16), _mm_shuffle_epi8(ta1, big_endian));
  _mm_storeu_si128((__m128i *)t_b, _mm_shuffle_epi8(tb0, big_endian));
  _mm_storeu_si128((__m128i *)(t_b + 16), _mm_shuffle_epi8(tb1, big_endian));
}

int cpu_has_shani(void) {
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
  const int sse41 = (ecx >> 19) & 1, ssse3 = (ecx >> 9) & 1;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
  return sse41 && ssse3 && ((ebx >> 29) & 1);
}
#endif
