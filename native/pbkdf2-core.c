// PBKDF2-HMAC-SHA256 on the addon's own SHA-256 (sha256.c).
//
// Why it beats crypto.pbkdf2: HMAC's key-dependent first blocks (key ^ ipad, key ^ opad) are hashed
// once, and every iteration after that is exactly one SHA-256 compression per HMAC half on a block
// laid out once, instead of a full HMAC init/update/final per iteration. On CPUs with SHA instructions
// (x86-64 SHA-NI, ARMv8 SHA-2) the iterations run in a register loop (sha256-x86.c, sha256-arm.c), and
// two hashes' iterations can share that loop: one chain of compressions is strictly sequential and
// leaves the SHA unit idle between dependent instructions, which a second, independent chain fills.
#include "pbkdf2-core.h"

#include <string.h>

#include "sha256-arm.h"
#include "sha256-x86.h"
#include "sha256.h"

#define BLOCK SHA256_BLOCK
#define DIGEST SHA256_DIGEST

/** One output block of one job: its HMAC states, the current U and the running XOR. */
typedef struct {
  uint32_t inner[8], outer[8];
  unsigned char u[DIGEST], t[DIGEST];
  uint32_t rounds; /* iterations after U1 */
  unsigned char *out;
  size_t out_len;
} block_task;

static void store_be32(unsigned char *out, uint32_t v) {
  out[0] = (unsigned char)(v >> 24);
  out[1] = (unsigned char)(v >> 16);
  out[2] = (unsigned char)(v >> 8);
  out[3] = (unsigned char)v;
}

static void wipe(void *p, size_t n) {
  volatile unsigned char *v = (volatile unsigned char *)p;
  while (n--) *v++ = 0;
}

pbkdf2_kernel pbkdf2_best_kernel(void) {
#if PICCOLO_HAVE_SHANI_KERNEL
  if (cpu_has_shani()) return KERNEL_SHANI;
#endif
#if PICCOLO_HAVE_ARMV8_KERNEL
  if (cpu_has_armv8_sha2()) return KERNEL_ARMV8;
#endif
  return KERNEL_PORTABLE;
}

const char *pbkdf2_kernel_name(pbkdf2_kernel kernel) {
  return kernel == KERNEL_SHANI ? "sha-ni" : kernel == KERNEL_ARMV8 ? "armv8-sha2" : "portable";
}

int pbkdf2_kernel_lanes(pbkdf2_kernel kernel) { return kernel == KERNEL_PORTABLE ? 1 : 2; }

/** HMAC's inner and outer states after their key block (a key longer than a block is its digest). */
static void hmac_states(const pbkdf2_job *job, uint32_t inner[8], uint32_t outer[8]) {
  unsigned char key[BLOCK] = {0}, pad[BLOCK];
  sha256_state ctx;
  if (job->password_len > BLOCK) {
    sha256_init(&ctx);
    sha256_update(&ctx, job->password, job->password_len);
    sha256_final(&ctx, key);
  } else if (job->password_len > 0) {
    memcpy(key, job->password, job->password_len);
  }
  for (int i = 0; i < BLOCK; i++) pad[i] = key[i] ^ 0x36;
  sha256_init(&ctx);
  sha256_update(&ctx, pad, BLOCK);
  memcpy(inner, ctx.h, 32);
  for (int i = 0; i < BLOCK; i++) pad[i] = key[i] ^ 0x5c;
  sha256_init(&ctx);
  sha256_update(&ctx, pad, BLOCK);
  memcpy(outer, ctx.h, 32);
  wipe(key, sizeof key);
  wipe(pad, sizeof pad);
  wipe(&ctx, sizeof ctx);
}

/** Block `index` (from 1) of a job: U1 = HMAC(password, salt || INT(index)), t = U1. */
static void start_block(const pbkdf2_job *job, const uint32_t inner[8], const uint32_t outer[8], uint32_t index, block_task *task) {
  sha256_state ctx;
  unsigned char counter[4];
  memcpy(task->inner, inner, 32);
  memcpy(task->outer, outer, 32);
  memcpy(ctx.h, inner, 32);
  ctx.length = BLOCK;
  ctx.buffered = 0;
  store_be32(counter, index);
  sha256_update(&ctx, job->salt, job->salt_len);
  sha256_update(&ctx, counter, 4);
  sha256_final(&ctx, task->u);
  memcpy(ctx.h, outer, 32);
  ctx.length = BLOCK;
  ctx.buffered = 0;
  sha256_update(&ctx, task->u, DIGEST);
  sha256_final(&ctx, task->u);
  memcpy(task->t, task->u, DIGEST);
  task->rounds = job->iterations - 1;
  size_t offset = (size_t)(index - 1) * DIGEST;
  task->out = job->out + offset;
  task->out_len = job->out_len - offset < DIGEST ? job->out_len - offset : DIGEST;
  wipe(&ctx, sizeof ctx);
}

/** `rounds` iterations of one task on the portable compression; `u` ends as the last U. */
static void iterate_portable(block_task *task, uint32_t rounds) {
  // The padded block of every HMAC half from iteration 2 on: a 32-byte message after one 64-byte
  // block, so 0x80, zeros, and the length 96 bytes = 768 bits.
  unsigned char block[BLOCK] = {0};
  uint32_t h[8];
  memcpy(block, task->u, DIGEST);
  block[DIGEST] = 0x80;
  block[BLOCK - 2] = 0x03;
  for (uint32_t j = 0; j < rounds; j++) {
    memcpy(h, task->inner, sizeof h);
    sha256_compress(h, block);
    for (int i = 0; i < 8; i++) store_be32(block + 4 * i, h[i]);
    memcpy(h, task->outer, sizeof h);
    sha256_compress(h, block);
    for (int i = 0; i < 8; i++) store_be32(block + 4 * i, h[i]);
    for (int k = 0; k < DIGEST; k++) task->t[k] ^= block[k];
  }
  memcpy(task->u, block, DIGEST);
  wipe(block, sizeof block);
  wipe(h, sizeof h);
}

static void iterate(block_task *task, uint32_t rounds, pbkdf2_kernel kernel) {
#if PICCOLO_HAVE_SHANI_KERNEL
  if (kernel == KERNEL_SHANI) {
    pbkdf2_iterate_shani(task->inner, task->outer, task->u, task->t, rounds);
    return;
  }
#endif
#if PICCOLO_HAVE_ARMV8_KERNEL
  if (kernel == KERNEL_ARMV8) {
    pbkdf2_iterate_armv8(task->inner, task->outer, task->u, task->t, rounds);
    return;
  }
#endif
  (void)kernel;
  iterate_portable(task, rounds);
}

static void finish_block(block_task *task) {
  memcpy(task->out, task->t, task->out_len);
  wipe(task, sizeof *task);
}

/** Two tasks: their common iterations in one two-lane loop, then the longer one's rest alone. */
static void run_two(block_task *x, block_task *y, pbkdf2_kernel kernel, int lanes) {
  if (lanes < 2 || kernel == KERNEL_PORTABLE) {
    iterate(x, x->rounds, kernel);
    iterate(y, y->rounds, kernel);
    return;
  }
  uint32_t common = x->rounds < y->rounds ? x->rounds : y->rounds;
#if PICCOLO_HAVE_SHANI_KERNEL
  if (kernel == KERNEL_SHANI) pbkdf2_iterate_shani_x2(x->inner, x->outer, x->u, x->t, y->inner, y->outer, y->u, y->t, common);
#endif
#if PICCOLO_HAVE_ARMV8_KERNEL
  if (kernel == KERNEL_ARMV8) pbkdf2_iterate_armv8_x2(x->inner, x->outer, x->u, x->t, y->inner, y->outer, y->u, y->t, common);
#endif
  block_task *longer = x->rounds > common ? x : y;
  iterate(longer, longer->rounds - common, kernel);
}

static uint32_t block_count(const pbkdf2_job *job) { return (uint32_t)((job->out_len + DIGEST - 1) / DIGEST); }

void pbkdf2_sha256(const pbkdf2_job *job, pbkdf2_kernel kernel) {
  uint32_t inner[8], outer[8];
  block_task task;
  hmac_states(job, inner, outer);
  for (uint32_t index = 1; index <= block_count(job); index++) {
    start_block(job, inner, outer, index, &task);
    iterate(&task, task.rounds, kernel);
    finish_block(&task);
  }
  wipe(inner, sizeof inner);
  wipe(outer, sizeof outer);
}

void pbkdf2_sha256_pair(const pbkdf2_job *a, const pbkdf2_job *b, pbkdf2_kernel kernel, int lanes) {
  // Every output block of both jobs, in the order a1 b1 a2 b2 …, then the longer key's rest; run two
  // at a time (a login's 32-byte key is one block: the pair is its two hashes).
  const pbkdf2_job *jobs[2] = {a, b};
  uint32_t inner[2][8], outer[2][8], next[2] = {1, 1};
  hmac_states(a, inner[0], outer[0]);
  hmac_states(b, inner[1], outer[1]);
  block_task tasks[2];
  int pending = 0, turn = 0;
  for (;;) {
    int j = next[turn] <= block_count(jobs[turn]) ? turn : 1 - turn;
    if (next[j] > block_count(jobs[j])) break;
    start_block(jobs[j], inner[j], outer[j], next[j]++, &tasks[pending++]);
    turn = 1 - j;
    if (pending == 2) {
      run_two(&tasks[0], &tasks[1], kernel, lanes);
      finish_block(&tasks[0]);
      finish_block(&tasks[1]);
      pending = 0;
    }
  }
  if (pending == 1) {
    iterate(&tasks[0], tasks[0].rounds, kernel);
    finish_block(&tasks[0]);
  }
  wipe(inner, sizeof inner);
  wipe(outer, sizeof outer);
}
