/* cllm_safetensors.h — read and write the safetensors format (model files and checkpoints).
 *
 * A file is: 8-byte little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}, ...,
 * "__metadata__": {string: string}}, then the tensors' bytes. The reader maps the file read-only and checks every
 * field against the file before handing out a pointer (see docs/file-formats.md for what is rejected and why).
 *
 *     float wte[V * C];
 *     cllm_st_tensor t = {.name = "wte", .dtype = CLLM_DT_F32, .ndim = 2, .shape = {V, C},
 *                         .data = wte, .nbytes = sizeof wte};
 *     const char *k[] = {"format"}, *v[] = {"pt"};
 *     if (cllm_safetensors_write("model.safetensors", &t, 1, k, v, 1, &err)) ...
 *
 *     cllm_safetensors *st = cllm_safetensors_open("model.safetensors", &err);
 *     const cllm_st_tensor *w = st ? cllm_safetensors_expect(st, "wte", 2, (int64_t[]){V, C}, &err) : NULL;
 *     if (!w || cllm_safetensors_read_f32(st, w, wte, (size_t)V * C, &err)) ...
 *     cllm_safetensors_close(st);
 *
 * Little-endian hosts only (the format is little-endian and the reader hands out the raw bytes).
 */
#ifndef CLLM_SAFETENSORS_H
#define CLLM_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "cllm_error.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "cllm_safetensors: big-endian hosts are not supported (the format is little-endian)"
#endif

#define CLLM_ST_MAX_DIMS 8                 /* most dimensions a tensor may have */
#define CLLM_ST_MAX_HEADER 100000000ULL    /* largest JSON header accepted, bytes (as the Python package) */

/* Element types, named in files by the strings of cllm_dtype_name ("F32", "BF16", ...). */
typedef enum cllm_dtype {
    CLLM_DT_F32,
    CLLM_DT_F16,
    CLLM_DT_BF16,
    CLLM_DT_F64,
    CLLM_DT_I32,
    CLLM_DT_I64,
    CLLM_DT_U8,
    CLLM_DT_I8,
    CLLM_DT_I16,
    CLLM_DT_U16,
    CLLM_DT_U32,
    CLLM_DT_U64,
    CLLM_DT_BOOL,
    CLLM_DT_F8_E4M3,
    CLLM_DT_F8_E5M2,
    CLLM_DT_COUNT /* number of dtypes, not a dtype */
} cllm_dtype;

/* One tensor. From the reader, every pointer is owned by the cllm_safetensors and valid until close. */
typedef struct cllm_st_tensor {
    const char *name;                 /* UTF-8, NUL-terminated, unique within a file */
    cllm_dtype dtype;                 /* element type */
    int ndim;                         /* 0 (a scalar) .. CLLM_ST_MAX_DIMS */
    int64_t shape[CLLM_ST_MAX_DIMS];  /* sizes of the first ndim dimensions, each >= 0 */
    const void *data;                 /* the raw little-endian bytes; NOT necessarily aligned (foreign files) */
    size_t nbytes;                    /* product(shape) * cllm_dtype_size(dtype) */
} cllm_st_tensor;

/* Bytes per element of dt (1, 2, 4 or 8); 0 for a value outside the enum. */
CLLM_API size_t cllm_dtype_size(cllm_dtype dt);
/* The dtype's name in safetensors files ("F32"); "?" for a value outside the enum. Static storage. */
CLLM_API const char *cllm_dtype_name(cllm_dtype dt);
/* Sets *nbytes = product(shape[0..ndim)) * cllm_dtype_size(dt); returns 0, or -1 when dt or ndim is out of range,
 * a dimension is negative, or the product overflows size_t. */
CLLM_API int cllm_st_shape_nbytes(cllm_dtype dt, int ndim, const int64_t *shape, size_t *nbytes);

/* Writes n tensors (in the given order, back to back) and nmeta metadata string pairs to `path`, atomically: the
 * old file stays until the new one is complete and synced. Tensor data is streamed, never copied. The JSON header
 * is padded with spaces so the data starts 8-byte aligned. Names must be unique, UTF-8, not "__metadata__";
 * metadata keys and values UTF-8, keys unique. Returns 0 or a CLLM_ERR_* code with err filled. */
CLLM_API int cllm_safetensors_write(const char *path, const cllm_st_tensor *tensors, int n,
                                    const char *const *meta_keys, const char *const *meta_values, int nmeta,
                                    cllm_error *err);

/* A parsed, validated safetensors file. */
typedef struct cllm_safetensors cllm_safetensors;

/* Maps `path` read-only and validates it; NULL with err filled (naming the file and the problem) on failure. */
CLLM_API cllm_safetensors *cllm_safetensors_open(const char *path, cllm_error *err);
/* The same over size bytes already in memory, which the caller keeps alive and unchanged until close; `label`
 * names the buffer in error messages (copied). */
CLLM_API cllm_safetensors *cllm_safetensors_open_memory(const void *data, size_t size, const char *label,
                                                       cllm_error *err);
/* Number of tensors. */
CLLM_API int cllm_safetensors_count(const cllm_safetensors *st);
/* Tensor i, 0 <= i < count, in the order their data lies in the file; NULL if i is out of range. */
CLLM_API const cllm_st_tensor *cllm_safetensors_get(const cllm_safetensors *st, int i);
/* The tensor called name, or NULL if absent (O(log n)). */
CLLM_API const cllm_st_tensor *cllm_safetensors_find(const cllm_safetensors *st, const char *name);
/* The tensor called name if it has exactly this shape (ndim dimensions); otherwise NULL with err naming the file,
 * the tensor and both shapes (CLLM_ERR_FORMAT, also when absent). What a model loader calls for each weight. */
CLLM_API const cllm_st_tensor *cllm_safetensors_expect(const cllm_safetensors *st, const char *name, int ndim,
                                                       const int64_t *shape, cllm_error *err);
/* Number of metadata pairs. */
CLLM_API int cllm_safetensors_meta_count(const cllm_safetensors *st);
/* Metadata pair i (0 <= i < meta_count) into *key and *value (owned by st); returns -1 if i is out of range. */
CLLM_API int cllm_safetensors_meta_at(const cllm_safetensors *st, int i, const char **key, const char **value);
/* The metadata value for key (owned by st), or NULL if absent. */
CLLM_API const char *cllm_safetensors_meta(const cllm_safetensors *st, const char *key);
/* Copies tensor t into out[0..count) as floats, converting F16, BF16 and F64 (exact for F16/BF16, rounded to
 * nearest for F64); count must equal the tensor's element count. Returns 0, CLLM_ERR_ARG on a count mismatch,
 * CLLM_ERR_STATE for a dtype that is not a float. Works on unaligned data. */
CLLM_API int cllm_safetensors_read_f32(const cllm_safetensors *st, const cllm_st_tensor *t, float *out, size_t count,
                                       cllm_error *err);
/* Unmaps and frees; NULL is fine. Every pointer obtained from st becomes invalid. */
CLLM_API void cllm_safetensors_close(cllm_safetensors *st);

#ifdef __cplusplus
}
#endif

#endif
