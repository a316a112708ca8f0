// The N-API binding of piccolo-ts's PBKDF2-HMAC-SHA256 (pbkdf2-core.c). The addon takes no symbol from
// the program that loads it but N-API's, so it links the same under Node, Bun and Deno (Node exports
// OpenSSL's SHA256_* functions, the others do not, and a lazily bound missing symbol ends the process at
// the first hash); it is linked with -z now, so anything unresolved fails the load instead.
#include <node_api.h>
#include <stdint.h>

#include "pbkdf2-core.h"

// Limits of what a caller may ask for (far above Piccolo's 600 000 iterations and 32-byte keys).
#define MAX_ITERATIONS 100000000u
#define MAX_KEY_LENGTH 1024u

// The loop this CPU runs best; decided once, when the addon loads.
static pbkdf2_kernel best_kernel = KERNEL_PORTABLE;

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

/** Reads (password, salt, iterations, keyLength) from argv and makes the result buffer; NULL after a throw. */
static napi_value job_of(napi_env env, napi_value *argv, pbkdf2_job *job) {
  void *password, *salt, *out;
  if (!bytes_of(env, argv[0], &password, &job->password_len)) return fail(env, "password must be a Uint8Array");
  if (!bytes_of(env, argv[1], &salt, &job->salt_len)) return fail(env, "salt must be a Uint8Array");
  double iterations, key_length;
  if (napi_get_value_double(env, argv[2], &iterations) != napi_ok || !(iterations >= 1 && iterations <= MAX_ITERATIONS) ||
      iterations != (double)(uint32_t)iterations)
    return fail(env, "iterations must be an integer from 1 to 100000000");
  if (napi_get_value_double(env, argv[3], &key_length) != napi_ok || !(key_length >= 1 && key_length <= MAX_KEY_LENGTH) ||
      key_length != (double)(uint32_t)key_length)
    return fail(env, "keyLength must be an integer from 1 to 1024");
  napi_value result;
  if (napi_create_buffer(env, (size_t)key_length, &out, &result) != napi_ok) return NULL;
  job->password = job->password_len ? password : (const unsigned char *)"";
  job->salt = job->salt_len ? salt : (const unsigned char *)"";
  job->iterations = (uint32_t)iterations;
  job->out = out;
  job->out_len = (size_t)key_length;
  return result;
}

// pbkdf2Sha256(password: Uint8Array, salt: Uint8Array, iterations: number, keyLength: number): Buffer
static napi_value pbkdf2_with(napi_env env, napi_callback_info info, pbkdf2_kernel kernel) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4) return fail(env, "pbkdf2Sha256 takes 4 arguments");
  pbkdf2_job job;
  napi_value result = job_of(env, argv, &job);
  if (result) pbkdf2_sha256(&job, kernel);
  return result;
}

static napi_value pbkdf2_js(napi_env env, napi_callback_info info) { return pbkdf2_with(env, info, best_kernel); }

// The same on the portable compression (sha256.c) whatever the CPU: what runs where no register loop does, kept testable.
static napi_value pbkdf2_transform_js(napi_env env, napi_callback_info info) { return pbkdf2_with(env, info, KERNEL_PORTABLE); }

// pbkdf2Sha256Pair(passwordA, saltA, iterationsA, keyLengthA, passwordB, saltB, iterationsB, keyLengthB): [Buffer, Buffer]
// Two keys at once, their iterations in one two-lane loop where the CPU has one (see `lanes`).
static napi_value pbkdf2_pair_js(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8], keys[2], result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 8) return fail(env, "pbkdf2Sha256Pair takes 8 arguments");
  pbkdf2_job jobs[2];
  if (!(keys[0] = job_of(env, argv, &jobs[0])) || !(keys[1] = job_of(env, argv + 4, &jobs[1]))) return NULL;
  if (napi_create_array_with_length(env, 2, &result) != napi_ok || napi_set_element(env, result, 0, keys[0]) != napi_ok ||
      napi_set_element(env, result, 1, keys[1]) != napi_ok)
    return NULL;
  pbkdf2_sha256_pair(&jobs[0], &jobs[1], best_kernel, pbkdf2_kernel_lanes(best_kernel));
  return result;
}

static int export_function(napi_env env, napi_value exports, const char *name, napi_callback callback) {
  napi_value fn;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, NULL, &fn) == napi_ok &&
         napi_set_named_property(env, exports, name, fn) == napi_ok;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  best_kernel = pbkdf2_best_kernel();
  napi_value kernel, lanes;
  // "sha-ni" (sha256-x86.c), "armv8-sha2" (sha256-arm.c) or "portable" (sha256.c's compression per half);
  // `lanes`: how many hashes pbkdf2Sha256Pair interleaves (1: it runs them one after the other).
  if (napi_create_string_utf8(env, pbkdf2_kernel_name(best_kernel), NAPI_AUTO_LENGTH, &kernel) != napi_ok ||
      napi_set_named_property(env, exports, "kernel", kernel) != napi_ok ||
      napi_create_uint32(env, (uint32_t)pbkdf2_kernel_lanes(best_kernel), &lanes) != napi_ok ||
      napi_set_named_property(env, exports, "lanes", lanes) != napi_ok)
    return NULL;
  // Tells the loader this build takes nothing from its host (an older build took OpenSSL from Node's
  // binary, and under Bun or Deno it ends the process at the first hash: the loader refuses one without).
  napi_value self_contained;
  if (napi_get_boolean(env, true, &self_contained) != napi_ok ||
      napi_set_named_property(env, exports, "selfContained", self_contained) != napi_ok)
    return NULL;
  if (!export_function(env, exports, "pbkdf2Sha256", pbkdf2_js) ||
      !export_function(env, exports, "pbkdf2Sha256Transform", pbkdf2_transform_js) ||
      !export_function(env, exports, "pbkdf2Sha256Pair", pbkdf2_pair_js))
    return NULL;
  return exports;
}
