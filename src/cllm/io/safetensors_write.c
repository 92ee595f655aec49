/* safetensors_write.c — the safetensors writer: validate everything, build the JSON header, then stream the
 * header and each tensor's bytes through an atomic file (the old file survives any failure). */
#include "cllm_safetensors.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Everything the reader will check, checked before a byte is written, so we never produce a file we reject. */
static int check_tensor(const char *path, const cllm_st_tensor *t, int i, cllm_error *err) {
    size_t need;
    if (!t->name)
        return cllm_error_set(err, CLLM_ERR_ARG, "%s: tensor %d has no name", path, i);
    if (strcmp(t->name, "__metadata__") == 0)
        return cllm_error_set(err, CLLM_ERR_ARG, "%s: tensor %d: \"__metadata__\" is reserved, not a tensor name",
                              path, i);
    if (!cllm_dtype_size(t->dtype))
        return cllm_error_set(err, CLLM_ERR_ARG, "%s: tensor '%s': dtype %d is not a cllm_dtype", path, t->name,
                              (int)t->dtype);
    if (cllm_st_shape_nbytes(t->dtype, t->ndim, t->shape, &need))
        return cllm_error_set(err, CLLM_ERR_ARG,
                              "%s: tensor '%s': bad shape (ndim %d must be 0..%d, dimensions >= 0, size must fit)",
                              path, t->name, t->ndim, CLLM_ST_MAX_DIMS);
    if (need != t->nbytes)
        return cllm_error_set(err, CLLM_ERR_ARG, "%s: tensor '%s': nbytes %zu but shape and dtype %s need %zu", path,
                              t->name, t->nbytes, cllm_dtype_name(t->dtype), need);
    if (need && !t->data)
        return cllm_error_set(err, CLLM_ERR_ARG, "%s: tensor '%s': data is NULL", path, t->name);
    return 0;
}

/* {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}; NULL only when out of memory. */
static json_t *tensor_entry(const cllm_st_tensor *t, uint64_t begin) {
    json_t *shape = json_array(), *off = json_array();
    for (int d = 0; d < t->ndim; d++) json_array_append_new(shape, json_integer((json_int_t)t->shape[d]));
    json_array_append_new(off, json_integer((json_int_t)begin));
    json_array_append_new(off, json_integer((json_int_t)(begin + t->nbytes)));
    json_t *e = json_object();
    if (!e || !shape || !off || json_array_size(shape) != (size_t)t->ndim || json_array_size(off) != 2) {
        json_decref(e); json_decref(shape); json_decref(off);
        return NULL;
    }
    json_object_set_new(e, "dtype", json_string(cllm_dtype_name(t->dtype)));
    json_object_set_new(e, "shape", shape);
    json_object_set_new(e, "data_offsets", off);
    return e;
}

static int add_metadata(json_t *root, const char *path, const char *const *keys, const char *const *values,
                        int nmeta, cllm_error *err) {
    if (nmeta <= 0) return 0;
    json_t *meta = json_object();
    if (!meta || json_object_set_new(root, "__metadata__", meta))
        return cllm_error_set(err, CLLM_ERR_NOMEM, "%s: out of memory building the header", path);
    for (int i = 0; i < nmeta; i++) {
        if (!keys || !values || !keys[i] || !values[i])
            return cllm_error_set(err, CLLM_ERR_ARG, "%s: metadata pair %d is NULL", path, i);
        if (json_object_get(meta, keys[i]))
            return cllm_error_set(err, CLLM_ERR_ARG, "%s: metadata key \"%s\" given twice", path, keys[i]);
        json_t *v = json_string(values[i]); /* NULL when not UTF-8 */
        if (!v || json_object_set_new(meta, keys[i], v))
            return cllm_error_set(err, CLLM_ERR_ARG, "%s: metadata pair %d is not valid UTF-8", path, i);
    }
    return 0;
}

static int add_tensors(json_t *root, const char *path, const cllm_st_tensor *tensors, int n, cllm_error *err) {
    uint64_t offset = 0;
    for (int i = 0; i < n; i++) {
        const cllm_st_tensor *t = &tensors[i];
        int rc = check_tensor(path, t, i, err);
        if (rc) return rc;
        if (json_object_get(root, t->name))
            return cllm_error_set(err, CLLM_ERR_ARG, "%s: tensor name '%s' given twice", path, t->name);
        if (t->nbytes > (uint64_t)INT64_MAX - offset)
            return cllm_error_set(err, CLLM_ERR_ARG, "%s: tensors total more than 2^63 bytes", path);
        json_t *e = tensor_entry(t, offset);
        if (!e) return cllm_error_set(err, CLLM_ERR_NOMEM, "%s: out of memory building the header", path);
        if (json_object_set_new(root, t->name, e))
            return cllm_error_set(err, CLLM_ERR_ARG, "%s: tensor %d: name is not valid UTF-8", path, i);
        offset += t->nbytes;
    }
    return 0;
}

/* The header bytes: 8-byte length, JSON, spaces up to a multiple of 8 so the data is 8-byte aligned. malloc'd. */
static uint8_t *build_header(json_t *root, const char *path, size_t *size, cllm_error *err) {
    const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER;
    size_t len = json_dumpb(root, NULL, 0, flags);
    size_t padded = (len + 7) / 8 * 8;
    if (len == 0 || padded > CLLM_ST_MAX_HEADER) {
        cllm_error_set(err, CLLM_ERR_ARG, "%s: header of %zu bytes is over the %llu-byte limit (too many tensors?)",
                       path, len, CLLM_ST_MAX_HEADER);
        return NULL;
    }
    uint8_t *buf = malloc(8 + padded);
    if (!buf || json_dumpb(root, (char *)buf + 8, len, flags) != len) {
        free(buf);
        cllm_error_set(err, CLLM_ERR_NOMEM, "%s: out of memory writing the header", path);
        return NULL;
    }
    uint64_t n64 = padded;
    memcpy(buf, &n64, 8); /* little-endian host */
    memset(buf + 8 + len, ' ', padded - len);
    *size = 8 + padded;
    return buf;
}

int cllm_safetensors_write(const char *path, const cllm_st_tensor *tensors, int n, const char *const *meta_keys,
                           const char *const *meta_values, int nmeta, cllm_error *err) {
    if (n < 0 || (n > 0 && !tensors))
        return cllm_error_set(err, CLLM_ERR_ARG, "%s: bad tensor list (n = %d)", path, n);
    json_t *root = json_object();
    if (!root) return cllm_error_set(err, CLLM_ERR_NOMEM, "%s: out of memory building the header", path);
    int rc = add_metadata(root, path, meta_keys, meta_values, nmeta, err);
    if (!rc) rc = add_tensors(root, path, tensors, n, err);
    size_t hsize = 0;
    uint8_t *header = rc ? NULL : build_header(root, path, &hsize, err);
    json_decref(root);
    if (rc || !header) {
        free(header);
        return rc ? rc : (err ? err->code : CLLM_ERR_ARG);
    }
    cllm_atomic_file *f = cllm_atomic_open(path, err);
    rc = f ? cllm_atomic_write(f, header, hsize, err) : CLLM_ERR_IO;
    free(header);
    /* cllm_atomic_write aborts f itself on failure, so stop at the first error. */
    for (int i = 0; i < n && !rc; i++)
        if (tensors[i].nbytes) rc = cllm_atomic_write(f, tensors[i].data, tensors[i].nbytes, err);
    return rc ? rc : cllm_atomic_commit(f, err);
}
