// PBKDF2-HMAC-SHA256 for piccolo-ts, on its own SHA-256 (sha256.c): the addon takes no symbol from the
// program that loads it but N-API's, so it links the same under Node, Bun and Deno (Node exports
// OpenSSL's SHA256_* functions, the others do not, and a lazily bound missing symbol ends the process at
// the first hash). binding.gyp links it with -z now, so anything unresolved fails the load instead.
//
// Why it beats crypto.pbkdf2: HMAC's key-dependent first blocks (key ^ ipad, key ^ opad) are hashed
// once, and every iteration after that is exactly one SHA-256 compression per HMAC half on a block
// laid out once, instead of a full HMAC init/update/final per iteration. On x86-64 CPUs with the SHA
// extensions the iterations run in sha256-x86.c instead, with no memory round trip between halves.
#include <node_api.h>
#include <stdint.h>
#include <string.h>

#include "sha256-x86.h"
#include "sha256.h"

#define BLOCK SHA256_BLOCK
#define DIGEST SHA256_DIGEST
// Limits of what a caller may ask for (far above Piccolo's 600 000 iterations and 32-byte keys).
#define MAX_ITERATIONS 100000000u
#define MAX_KEY_LENGTH 1024u

static void store_be32(unsigned char *out, uint32_t v) {
  out[0] = (unsigned char)(v >> 24);
  out[1] = (unsigned char)(v >> 16);
  out[2] = (unsigned char)(v >> 8);
  out[3] = (unsigned char)v;
}

static void state_bytes(const sha256_state *c, unsigned char *out) {
  for (int i = 0; i < 8; i++) store_be32(out + 4 * i, c->h[i]);
}

static void wipe(void *p, size_t n) {
  volatile unsigned char *v = (volatile unsigned char *)p;
  while (n--) *v++ = 0;
}

// Whether the iterations run on the SHA-NI loop; decided once, when the addon loads.
static int use_shani = 0;

/** Derives `out_len` bytes into `out`; `shani` chooses the iteration loop. */
static void pbkdf2_sha256(const unsigned char *password, size_t password_len, const unsigned char *salt,
                          size_t salt_len, uint32_t iterations, unsigned char *out, size_t out_len, int shani) {
  unsigned char key[BLOCK] = {0};
  unsigned char pad[BLOCK];
  sha256_state inner, outer, ctx;

  // HMAC: a key longer than a block is replaced by its digest.
  if (password_len > BLOCK) {
    sha256_init(&ctx);
    sha256_update(&ctx, password, password_len);
    sha256_final(&ctx, key);
  } else if (password_len > 0) {
    memcpy(key, password, password_len);
  }
  for (int i = 0; i < BLOCK; i++) pad[i] = key[i] ^ 0x36;
  sha256_init(&inner);
  sha256_update(&inner, pad, BLOCK);
  for (int i = 0; i < BLOCK; i++) pad[i] = key[i] ^ 0x5c;
  sha256_init(&outer);
  sha256_update(&outer, pad, BLOCK);

  // The padded second block of every HMAC half from iteration 2 on: a 32-byte message after one
  // 64-byte block, so 0x80, zeros, and the length 96 bytes = 768 bits.
  unsigned char block[BLOCK] = {0};
  block[DIGEST] = 0x80;
  block[BLOCK - 2] = 0x03;  // 768 = 0x0300

  unsigned char t[DIGEST], counter[4];
  for (uint32_t index = 1; out_len > 0; index++) {
    // U1 = HMAC(password, salt || INT(index)), through the general update path.
    store_be32(counter, index);
    ctx = inner;
    sha256_update(&ctx, salt, salt_len);
    sha256_update(&ctx, counter, 4);
    sha256_final(&ctx, block);
    ctx = outer;
    sha256_update(&ctx, block, DIGEST);
    sha256_final(&ctx, block);
    // sha256_final leaves the padding bytes alone (block[32..63] untouched): the layout above stays.
    memcpy(t, block, DIGEST);
#if PICCOLO_HAVE_SHANI_KERNEL
    if (shani) pbkdf2_iterate_shani(inner.h, outer.h, block, t, iterations - 1);
#endif
    for (uint32_t j = 1; !shani && j < iterations; j++) {
      memcpy(ctx.h, inner.h, sizeof ctx.h);
      sha256_compress(ctx.h, block);
      state_bytes(&ctx, block);
      memcpy(ctx.h, outer.h, sizeof ctx.h);
      sha256_compress(ctx.h, block);
      state_bytes(&ctx, block);
      for (int k = 0; k < DIGEST; k++) t[k] ^= block[k];
    }
    size_t n = out_len < DIGEST ? out_len : DIGEST;
    memcpy(out, t, n);
    out += n;
    out_len -= n;
  }
  wipe(key, sizeof key);
  wipe(pad, sizeof pad);
  wipe(block, sizeof block);
  wipe(t, sizeof t);
  wipe(&inner, sizeof inner);
  wipe(&outer, sizeof outer);
  wipe(&ctx, sizeof ctx);
}

static napi_value fail(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG", message);
  return NULL;
}

static int bytes_of(napi_env env, napi_value value, void **data, size_t *length) {
  bool is;
  if (napi_is_typedarray(env, value, &is) == napi_ok && is) {
    napi_typedarray_type type;
    napi_value buffer;
    size_t offset;
    if (napi_get_typedarray_info(env, value, &type, length, data, &buffer, &offset) != napi_ok) return 0;
    return type == napi_uint8_array;
  }
  return 0;
}

// pbkdf2Sha256(password: Uint8Array, salt: Uint8Array, iterations: number, keyLength: number): Buffer
static napi_value pbkdf2_with(napi_env env, napi_callback_info info, int shani) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4) return fail(env, "pbkdf2Sha256 takes 4 arguments");
  void *password, *salt;
  size_t password_len, salt_len;
  if (!bytes_of(env, argv[0], &password, &password_len)) return fail(env, "password must be a Uint8Array");
  if (!bytes_of(env, argv[1], &salt, &salt_len)) return fail(env, "salt must be a Uint8Array");
  double iterations, key_length;
  if (napi_get_value_double(env, argv[2], &iterations) != napi_ok || !(iterations >= 1 && iterations <= MAX_ITERATIONS) ||
      iterations != (double)(uint32_t)iterations)
    return fail(env, "iterations must be an integer from 1 to 100000000");
  if (napi_get_value_double(env, argv[3], &key_length) != napi_ok || !(key_length >= 1 && key_length <= MAX_KEY_LENGTH) ||
      key_length != (double)(uint32_t)key_length)
    return fail(env, "keyLength must be an integer from 1 to 1024");
  void *out;
  napi_value result;
  if (napi_create_buffer(env, (size_t)key_length, &out, &result) != napi_ok) return NULL;
  pbkdf2_sha256(password_len ? password : (const unsigned char *)"", password_len, salt_len ? salt : (const unsigned char *)"",
                salt_len, (uint32_t)iterations, out, (size_t)key_length, shani);
  return result;
}

static napi_value pbkdf2_js(napi_env env, napi_callback_info info) { return pbkdf2_with(env, info, use_shani); }

// The same on the portable compression (sha256.c) whatever the CPU: what runs where SHA-NI does not, kept testable.
static napi_value pbkdf2_transform_js(napi_env env, napi_callback_info info) { return pbkdf2_with(env, info, 0); }

static int export_function(napi_env env, napi_value exports, const char *name, napi_callback callback) {
  napi_value fn;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, NULL, &fn) == napi_ok &&
         napi_set_named_property(env, exports, name, fn) == napi_ok;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
#if PICCOLO_HAVE_SHANI_KERNEL
  use_shani = cpu_has_shani();
#endif
  napi_value kernel;
  // "sha-ni": the loop in sha256-x86.c; "portable": sha256.c's compression function per half.
  if (napi_create_string_utf8(env, use_shani ? "sha-ni" : "portable", NAPI_AUTO_LENGTH, &kernel) != napi_ok ||
      napi_set_named_property(env, exports, "kernel", kernel) != napi_ok)
    return NULL;
  // Tells the loader this build takes nothing from its host (an older build took OpenSSL from Node's
  // binary, and under Bun or Deno it ends the process at the first hash: the loader refuses one without).
  napi_value self_contained;
  if (napi_get_boolean(env, true, &self_contained) != napi_ok ||
      napi_set_named_property(env, exports, "selfContained", self_contained) != napi_ok)
    return NULL;
  if (!export_function(env, exports, "pbkdf2Sha256", pbkdf2_js) ||
      !export_function(env, exports, "pbkdf2Sha256Transform", pbkdf2_transform_js))
    return NULL;
  return exports;
}
