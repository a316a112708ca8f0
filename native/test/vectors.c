// Checks pbkdf2-core.c against known answers, outside any JavaScript runtime: test/native-arm64.test.ts
// cross compiles it with the addon's own C files for aarch64 and runs it under qemu-aarch64 (Node for
// arm64 is not on the test machine), with answers crypto.pbkdf2Sync computed for fast-check's inputs.
//
// Input, one case a line: passwordHex saltHex iterations keyHex ("-" for empty hex). Every case runs on
// the CPU's best loop and on the portable one, and each consecutive two as a pair (two lanes). Prints the
// loop and the count on success; the first mismatch and exit status 1 otherwise.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../pbkdf2-core.h"

#define MAX_CASES 20000
#define MAX_BYTES 1024

typedef struct {
  unsigned char password[MAX_BYTES], salt[MAX_BYTES], key[MAX_BYTES];
  size_t password_len, salt_len, key_len;
  unsigned long iterations;
} known_answer;

static size_t from_hex(const char *hex, unsigned char *out) {
  if (strcmp(hex, "-") == 0) return 0;
  size_t n = strlen(hex) / 2;
  for (size_t i = 0; i < n; i++) sscanf(hex + 2 * i, "%2hhx", &out[i]);
  return n;
}

static pbkdf2_job job_for(const known_answer *c, unsigned char *out) {
  pbkdf2_job job = {c->password, c->password_len, c->salt, c->salt_len, (uint32_t)c->iterations, out, c->key_len};
  return job;
}

static int check(const known_answer *c, const unsigned char *out, size_t line, const char *loop) {
  if (memcmp(out, c->key, c->key_len) == 0) return 1;
  printf("mismatch: case %zu, %s\n", line, loop);
  return 0;
}

int main(int argc, char **argv) {
  FILE *input = argc > 1 ? fopen(argv[1], "r") : stdin;
  if (!input) return 2;
  static known_answer cases[MAX_CASES];
  static char password[2 * MAX_BYTES + 2], salt[2 * MAX_BYTES + 2], key[2 * MAX_BYTES + 2];
  size_t count = 0;
  while (count < MAX_CASES && fscanf(input, "%2049s %2049s %lu %2049s", password, salt, &cases[count].iterations, key) == 4) {
    cases[count].password_len = from_hex(password, cases[count].password);
    cases[count].salt_len = from_hex(salt, cases[count].salt);
    cases[count].key_len = from_hex(key, cases[count].key);
    count++;
  }
  pbkdf2_kernel best = pbkdf2_best_kernel();
  unsigned char out[MAX_BYTES], other[MAX_BYTES];
  for (size_t i = 0; i < count; i++) {
    pbkdf2_job job = job_for(&cases[i], out);
    pbkdf2_sha256(&job, best);
    if (!check(&cases[i], out, i, "best loop")) return 1;
    pbkdf2_sha256(&job, KERNEL_PORTABLE);
    if (!check(&cases[i], out, i, "portable loop")) return 1;
  }
  for (size_t i = 0; i + 1 < count; i += 2) {
    for (int lanes = 1; lanes <= 2; lanes++) {
      pbkdf2_job a = job_for(&cases[i], out), b = job_for(&cases[i + 1], other);
      pbkdf2_sha256_pair(&a, &b, best, lanes);
      if (!check(&cases[i], out, i, lanes == 2 ? "pair, first lane" : "pair one after the other") ||
          !check(&cases[i + 1], other, i + 1, lanes == 2 ? "pair, second lane" : "pair one after the other"))
        return 1;
    }
  }
  printf("kernel=%s lanes=%d cases=%zu\n", pbkdf2_kernel_name(best), pbkdf2_kernel_lanes(best), count);
  return 0;
}
