// SHA-256 (FIPS 180-4) in portable C, for the PBKDF2 addon: the addon takes no symbol from the program
// that loads it (Node exports OpenSSL's SHA256_*, Bun and Deno do not), so it carries its own.
#ifndef PICCOLO_SHA256_H
#define PICCOLO_SHA256_H
#include <stddef.h>
#include <stdint.h>

#define SHA256_BLOCK 64
#define SHA256_DIGEST 32

typedef struct {
  uint32_t h[8];
  uint64_t length;                 /* bytes hashed so far */
  unsigned char buffer[SHA256_BLOCK];
  size_t buffered;                 /* bytes of `buffer` in use */
} sha256_state;

void sha256_init(sha256_state *state);
void sha256_update(sha256_state *state, const unsigned char *data, size_t length);
/** Writes the digest; `state` must be initialised again before reuse. */
void sha256_final(sha256_state *state, unsigned char digest[SHA256_DIGEST]);
/** The 64 round constants (FIPS 180-4's K), for every compression loop. */
extern const uint32_t SHA256_ROUND_CONSTANTS[64];
/** One compression of a 64-byte block into `h`: what each PBKDF2 iteration runs twice. */
void sha256_compress(uint32_t h[8], const unsigned char block[SHA256_BLOCK]);
#endif
