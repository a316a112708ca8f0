// PBKDF2-HMAC-SHA256 without N-API (pbkdf2.c binds it to JavaScript; native/test/vectors.c runs it under
// qemu-aarch64), on one of three iteration loops chosen at run time.
#ifndef PICCOLO_PBKDF2_CORE_H
#define PICCOLO_PBKDF2_CORE_H
#include <stddef.h>
#include <stdint.h>

typedef enum {
  KERNEL_PORTABLE = 0, /* sha256.c's compression per HMAC half, any CPU */
  KERNEL_SHANI = 1,    /* sha256-x86.c: x86-64 SHA extensions, in registers */
  KERNEL_ARMV8 = 2,    /* sha256-arm.c: ARMv8 SHA-2 instructions, in registers */
} pbkdf2_kernel;

typedef struct {
  const unsigned char *password;
  size_t password_len;
  const unsigned char *salt;
  size_t salt_len;
  uint32_t iterations;
  unsigned char *out;
  size_t out_len;
} pbkdf2_job;

/** The fastest loop this CPU runs (detected once per call; cheap). */
pbkdf2_kernel pbkdf2_best_kernel(void);
/** Its name as the addon reports it: "sha-ni", "armv8-sha2" or "portable". */
const char *pbkdf2_kernel_name(pbkdf2_kernel kernel);
/** How many chains the loop runs at once: 2 for the register loops, 1 for the portable one. */
int pbkdf2_kernel_lanes(pbkdf2_kernel kernel);
/** Derives one job's key on `kernel`. */
void pbkdf2_sha256(const pbkdf2_job *job, pbkdf2_kernel kernel);
/**
 * Derives two jobs' keys; with `lanes` 2 on a register loop their iterations interleave in one loop (the
 * shorter finishes first, the longer continues alone), else one after the other. Same bytes either way.
 */
void pbkdf2_sha256_pair(const pbkdf2_job *a, const pbkdf2_job *b, pbkdf2_kernel kernel, int lanes);
#endif
