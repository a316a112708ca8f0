// SHA-256 (FIPS 180-4) in portable C: the compression runs on CPUs without the SHA extensions (with
// them, sha256-x86.c's register loop runs the iterations), and init/update/final make each hash's
// first blocks on every CPU.
#include "sha256.h"

#include <string.h>

/* FIPS 180-4's K: shared with the SHA-NI and ARMv8 loops. */
const uint32_t SHA256_ROUND_CONSTANTS[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
    0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
    0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
    0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
    0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
    0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static const uint32_t INITIAL[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static uint32_t load_be32(const unsigned char *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

// The 64 rounds unrolled, with the message schedule kept to the 16 words in use: the state never moves
// between variables (each round renames them instead), which is most of the speed of a C SHA-256.
#define CH(x, y, z) (((x) & ((y) ^ (z))) ^ (z))
#define MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))
#define BSIG0(x) (ROTR((x), 2) ^ ROTR((x), 13) ^ ROTR((x), 22))
#define BSIG1(x) (ROTR((x), 6) ^ ROTR((x), 11) ^ ROTR((x), 25))
#define SSIG0(x) (ROTR((x), 7) ^ ROTR((x), 18) ^ ((x) >> 3))
#define SSIG1(x) (ROTR((x), 17) ^ ROTR((x), 19) ^ ((x) >> 10))
#define W(i) w[(i) & 15]
#define SCHEDULE(i) (W(i) += SSIG1(W((i) + 14)) + W((i) + 9) + SSIG0(W((i) + 1)))
#define ROUND(a, b, c, d, e, f, g, h, i, word)           \
  do {                                                   \
    uint32_t t1 = (h) + BSIG1(e) + CH(e, f, g) + SHA256_ROUND_CONSTANTS[i] + (word); \
    (d) += t1;                                           \
    (h) = t1 + BSIG0(a) + MAJ(a, b, c);                  \
  } while (0)
#define EIGHT_ROUNDS(i, word)                      \
  ROUND(a, b, c, d, e, f, g, h, (i) + 0, word((i) + 0)); \
  ROUND(h, a, b, c, d, e, f, g, (i) + 1, word((i) + 1)); \
  ROUND(g, h, a, b, c, d, e, f, (i) + 2, word((i) + 2)); \
  ROUND(f, g, h, a, b, c, d, e, (i) + 3, word((i) + 3)); \
  ROUND(e, f, g, h, a, b, c, d, (i) + 4, word((i) + 4)); \
  ROUND(d, e, f, g, h, a, b, c, (i) + 5, word((i) + 5)); \
  ROUND(c, d, e, f, g, h, a, b, (i) + 6, word((i) + 6)); \
  ROUND(b, c, d, e, f, g, h, a, (i) + 7, word((i) + 7))

void sha256_compress(uint32_t state[8], const unsigned char block[SHA256_BLOCK]) {
  uint32_t w[16];
  for (int i = 0; i < 16; i++) w[i] = load_be32(block + 4 * i);
  uint32_t a = state[0], b = state[1], c = state[2], d = state[3], e = state[4], f = state[5], g = state[6], h = state[7];
  EIGHT_ROUNDS(0, W);
  EIGHT_ROUNDS(8, W);
  EIGHT_ROUNDS(16, SCHEDULE);
  EIGHT_ROUNDS(24, SCHEDULE);
  EIGHT_ROUNDS(32, SCHEDULE);
  EIGHT_ROUNDS(40, SCHEDULE);
  EIGHT_ROUNDS(48, SCHEDULE);
  EIGHT_ROUNDS(56, SCHEDULE);
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
  state[4] += e;
  state[5] += f;
  state[6] += g;
  state[7] += h;
}

void sha256_init(sha256_state *state) {
  memcpy(state->h, INITIAL, sizeof INITIAL);
  state->length = 0;
  state->buffered = 0;
}

void sha256_update(sha256_state *state, const unsigned char *data, size_t length) {
  state->length += length;
  if (state->buffered > 0) {
    size_t take = SHA256_BLOCK - state->buffered;
    if (take > length) take = length;
    memcpy(state->buffer + state->buffered, data, take);
    state->buffered += take;
    data += take;
    length -= take;
    if (state->buffered < SHA256_BLOCK) return;
    sha256_compress(state->h, state->buffer);
    state->buffered = 0;
  }
  for (; length >= SHA256_BLOCK; data += SHA256_BLOCK, length -= SHA256_BLOCK) sha256_compress(state->h, data);
  memcpy(state->buffer, data, length);
  state->buffered = length;
}

void sha256_final(sha256_state *state, unsigned char digest[SHA256_DIGEST]) {
  uint64_t bits = state->length * 8;
  state->buffer[state->buffered++] = 0x80;
  if (state->buffered > SHA256_BLOCK - 8) {
    memset(state->buffer + state->buffered, 0, SHA256_BLOCK - state->buffered);
    sha256_compress(state->h, state->buffer);
    state->buffered = 0;
  }
  memset(state->buffer + state->buffered, 0, SHA256_BLOCK - 8 - state->buffered);
  for (int i = 0; i < 8; i++) state->buffer[SHA256_BLOCK - 1 - i] = (unsigned char)(bits >> (8 * i));
  sha256_compress(state->h, state->buffer);
  for (int i = 0; i < 8; i++) {
    digest[4 * i] = (unsigned char)(state->h[i] >> 24);
    digest[4 * i + 1] = (unsigned char)(state->h[i] >> 16);
    digest[4 * i + 2] = (unsigned char)(state->h[i] >> 8);
    digest[4 * i + 3] = (unsigned char)state->h[i];
  }
}
