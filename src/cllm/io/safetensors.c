/* safetensors.c — the safetensors reader: every header field is checked against the file before a pointer into
 * the file is handed out, so a hostile or truncated file yields one error line, never a wild read.
 * What is accepted and rejected, and why, is in docs/file-formats.md ("safetensors"). */
#include "cllm_safetensors.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ---------------------------------------------------------------------------------------------------------------
 * dtypes */

static const struct {
    const char *name; /* as spelled in the file */
    size_t size;      /* bytes per element */
} dtypes[CLLM_DT_COUNT] = {
    [CLLM_DT_F32] = {"F32", 4},         [CLLM_DT_F16] = {"F16", 2},   [CLLM_DT_BF16] = {"BF16", 2},
    [CLLM_DT_F64] = {"F64", 8},         [CLLM_DT_I32] = {"I32", 4},   [CLLM_DT_I64] = {"I64", 8},
    [CLLM_DT_U8] = {"U8", 1},           [CLLM_DT_I8] = {"I8", 1},     [CLLM_DT_I16] = {"I16", 2},
    [CLLM_DT_U16] = {"U16", 2},         [CLLM_DT_U32] = {"U32", 4},   [CLLM_DT_U64] = {"U64", 8},
    [CLLM_DT_BOOL] = {"BOOL", 1},       [CLLM_DT_F8_E4M3] = {"F8_E4M3", 1},
    [CLLM_DT_F8_E5M2] = {"F8_E5M2", 1},
};

size_t cllm_dtype_size(cllm_dtype dt) { return (unsigned)dt < CLLM_DT_COUNT ? dtypes[dt].size : 0; }

const char *cllm_dtype_name(cllm_dtype dt) { return (unsigned)dt < CLLM_DT_COUNT ? dtypes[dt].name : "?"; }

static int dtype_parse(const char *name, cllm_dtype *out) {
    for (int i = 0; i < CLLM_DT_COUNT; i++)
        if (strcmp(name, dtypes[i].name) == 0) { *out = (cllm_dtype)i; return 0; }
    return -1;
}

int cllm_st_shape_nbytes(cllm_dtype dt, int ndim, const int64_t *shape, size_t *nbytes) {
    size_t total = cllm_dtype_size(dt);
    if (!total || ndim < 0 || ndim > CLLM_ST_MAX_DIMS) return -1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return -1;
        if (shape[i] == 0) { *nbytes = 0; return 0; } /* empty, however large the other dimensions */
    }
    for (int i = 0; i < ndim; i++) {
        uint64_t d = (uint64_t)shape[i];
        if (d > SIZE_MAX / total) return -1;
        total *= (size_t)d;
    }
    *nbytes = total;
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------------
 * the handle */

struct cllm_safetensors {
    cllm_mapped_file map;              /* the file when opened by path; zeroed for open_memory */
    char *label;                       /* the file's name, for messages */
    json_t *root;                      /* the parsed header; names and metadata point into it */
    int n;                             /* tensors */
    cllm_st_tensor *tensors;           /* n, in data-offset order */
    const cllm_st_tensor **by_name;    /* the same n, in strcmp order, for bsearch */
    int nmeta;                         /* metadata pairs */
    const char **meta;                 /* 2*nmeta: key0, value0, key1, value1, ... */
};

/* A name or value from a hostile file, shown in a message as one escaped printable line. */
static const char *shown(const char *s, char *buf, size_t cap) { return cllm_escape(s, strlen(s), buf, cap); }

/* What parse_* need to check a header and report: the file's name and the data buffer after the header. */
typedef struct parse_ctx {
    const char *label;   /* file name for messages */
    const uint8_t *buf;  /* first byte after the header */
    uint64_t buf_size;   /* bytes from buf to the end of the file */
    cllm_error *err;
} parse_ctx;

__attribute__((format(printf, 3, 4)))
static int tensor_error(const parse_ctx *ctx, const char *name, const char *fmt, ...) {
    char what[256], nb[72];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return cllm_error_set(ctx->err, CLLM_ERR_FORMAT, "%s: tensor '%s': %s", ctx->label, shown(name, nb, sizeof nb),
                          what);
}

/* A JSON integer >= 0 (not 2.0, not "2"), into *out; -1 otherwise. */
static int json_nonneg_int(const json_t *v, int64_t *out) {
    if (!json_is_integer(v) || json_integer_value(v) < 0) return -1;
    *out = (int64_t)json_integer_value(v);
    return 0;
}

static int parse_shape(const parse_ctx *ctx, const char *name, const json_t *shape, cllm_st_tensor *t) {
    if (!json_is_array(shape)) return tensor_error(ctx, name, "\"shape\" is missing or not an array");
    size_t nd = json_array_size(shape);
    if (nd > CLLM_ST_MAX_DIMS)
        return tensor_error(ctx, name, "%zu dimensions, at most %d supported", nd, CLLM_ST_MAX_DIMS);
    t->ndim = (int)nd;
    for (size_t i = 0; i < nd; i++)
        if (json_nonneg_int(json_array_get(shape, i), &t->shape[i]))
            return tensor_error(ctx, name, "shape[%zu] is not a non-negative integer", i);
    if (cllm_st_shape_nbytes(t->dtype, t->ndim, t->shape, &t->nbytes))
        return tensor_error(ctx, name, "shape product overflows (too many elements)");
    return 0;
}

static int parse_offsets(const parse_ctx *ctx, const char *name, const json_t *off, cllm_st_tensor *t) {
    int64_t begin, end;
    if (!json_is_array(off) || json_array_size(off) != 2)
        return tensor_error(ctx, name, "\"data_offsets\" is missing or not an array [begin, end]");
    if (json_nonneg_int(json_array_get(off, 0), &begin) || json_nonneg_int(json_array_get(off, 1), &end))
        return tensor_error(ctx, name, "data_offsets are not non-negative integers");
    if (begin > end)
        return tensor_error(ctx, name, "data_offsets begin %lld > end %lld", (long long)begin, (long long)end);
    if ((uint64_t)end > ctx->buf_size)
        return tensor_error(ctx, name, "data_offsets end %lld is beyond the data buffer (%llu bytes; file truncated?)",
                   (long long)end, (unsigned long long)ctx->buf_size);
    if ((uint64_t)(end - begin) != t->nbytes)
        return tensor_error(ctx, name, "data_offsets span %lld bytes but shape and dtype %s need %zu",
                            (long long)(end - begin),
                   cllm_dtype_name(t->dtype), t->nbytes);
    t->data = ctx->buf + begin;
    return 0;
}

/* One "name": {"dtype", "shape", "data_offsets"} entry into *t (other keys are ignored, as the spec allows). */
static int parse_tensor(const parse_ctx *ctx, const char *name, const json_t *v, cllm_st_tensor *t) {
    char db[40];
    memset(t, 0, sizeof *t);
    t->name = name;
    if (!json_is_object(v)) return tensor_error(ctx, name, "entry is not a JSON object");
    const json_t *dt = json_object_get(v, "dtype");
    if (!json_is_string(dt)) return tensor_error(ctx, name, "\"dtype\" is missing or not a string");
    if (dtype_parse(json_string_value(dt), &t->dtype))
        return tensor_error(ctx, name, "unknown dtype \"%s\"", shown(json_string_value(dt), db, sizeof db));
    int rc = parse_shape(ctx, name, json_object_get(v, "shape"), t);
    return rc ? rc : parse_offsets(ctx, name, json_object_get(v, "data_offsets"), t);
}

static int parse_metadata(cllm_safetensors *st, const parse_ctx *ctx, json_t *meta) {
    char kb[72];
    if (!json_is_object(meta))
        return cllm_error_set(ctx->err, CLLM_ERR_FORMAT, "%s: \"__metadata__\" is not a JSON object", ctx->label);
    st->meta = malloc((2 * json_object_size(meta) + 1) * sizeof *st->meta);
    if (!st->meta) return cllm_error_set(ctx->err, CLLM_ERR_NOMEM, "%s: out of memory reading metadata", ctx->label);
    const char *key;
    json_t *value;
    json_object_foreach(meta, key, value) {
        if (!json_is_string(value))
            return cllm_error_set(ctx->err, CLLM_ERR_FORMAT, "%s: metadata \"%s\" is not a string", ctx->label,
                                  shown(key, kb, sizeof kb));
        st->meta[2 * st->nmeta] = key;
        st->meta[2 * st->nmeta + 1] = json_string_value(value);
        st->nmeta++;
    }
    return 0;
}

/* Orders by position in the data buffer; ties (empty tensors) by name, so the order never depends on the JSON. */
static int cmp_offset(const void *a, const void *b) {
    const cllm_st_tensor *x = a, *y = b;
    if (x->data != y->data) return (const uint8_t *)x->data < (const uint8_t *)y->data ? -1 : 1;
    if (x->nbytes != y->nbytes) return x->nbytes < y->nbytes ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int cmp_name(const void *a, const void *b) {
    return strcmp((*(const cllm_st_tensor *const *)a)->name, (*(const cllm_st_tensor *const *)b)->name);
}

/* The tensors, in offset order, must tile the data buffer exactly: no overlap (two names aliasing bytes), no
 * hole and no trailing bytes (the signs of a corrupt or doctored file). The Python package enforces the same. */
static int check_coverage(const cllm_safetensors *st, const parse_ctx *ctx) {
    char a[72], b[72];
    const uint8_t *cursor = ctx->buf;
    for (int i = 0; i < st->n; i++) {
        const cllm_st_tensor *t = &st->tensors[i];
        const uint8_t *p = t->data;
        if (p < cursor)
            return cllm_error_set(ctx->err, CLLM_ERR_FORMAT, "%s: tensors '%s' and '%s' overlap in the data buffer",
                                  ctx->label, shown(st->tensors[i - 1].name, a, sizeof a), shown(t->name, b, sizeof b));
        if (p > cursor)
            return cllm_error_set(ctx->err, CLLM_ERR_FORMAT,
                                  "%s: %zu bytes before tensor '%s' belong to no tensor (holes are not allowed)",
                                  ctx->label, (size_t)(p - cursor), shown(t->name, a, sizeof a));
        cursor = p + t->nbytes;
    }
    if (cursor != ctx->buf + ctx->buf_size)
        return cllm_error_set(ctx->err, CLLM_ERR_FORMAT,
                              "%s: the last %zu bytes of the data buffer belong to no tensor (trailing garbage?)",
                              ctx->label, (size_t)(ctx->buf + ctx->buf_size - cursor));
    return 0;
}

static int parse_entries(cllm_safetensors *st, const parse_ctx *ctx) {
    size_t total = json_object_size(st->root);
    st->tensors = calloc(total + 1, sizeof *st->tensors);
    st->by_name = calloc(total + 1, sizeof *st->by_name);
    if (!st->tensors || !st->by_name)
        return cllm_error_set(ctx->err, CLLM_ERR_NOMEM, "%s: out of memory for %zu tensors", ctx->label, total);
    const char *name;
    json_t *v;
    json_object_foreach(st->root, name, v) {
        int rc = strcmp(name, "__metadata__") == 0 ? parse_metadata(st, ctx, v)
                                                   : parse_tensor(ctx, name, v, &st->tensors[st->n++]);
        if (rc) return rc;
    }
    qsort(st->tensors, (size_t)st->n, sizeof *st->tensors, cmp_offset);
    for (int i = 0; i < st->n; i++) st->by_name[i] = &st->tensors[i];
    qsort(st->by_name, (size_t)st->n, sizeof *st->by_name, cmp_name);
    return check_coverage(st, ctx);
}

static int check_utf8(const uint8_t *s, size_t n, const char *label, cllm_error *err) {
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (k <= 0)
            return cllm_error_set(err, CLLM_ERR_FORMAT, "%s: header is not valid UTF-8 (at header byte %zu)", label, i);
        i += (size_t)k;
    }
    return 0;
}

/* Frame (length prefix), encoding, JSON, then the entries. */
static int parse_file(cllm_safetensors *st, const uint8_t *data, size_t size, cllm_error *err) {
    const char *label = st->label;
    if (size < 8)
        return cllm_error_set(err, CLLM_ERR_FORMAT,
                              "%s: %zu bytes is too short for a safetensors file (an 8-byte header length comes first)",
                              label, size);
    uint64_t hlen;
    memcpy(&hlen, data, 8); /* little-endian host, checked in the header */
    if (hlen > CLLM_ST_MAX_HEADER)
        return cllm_error_set(err, CLLM_ERR_FORMAT,
                              "%s: header length %llu is absurd (limit %llu bytes; not safetensors?)",
                              label, (unsigned long long)hlen, CLLM_ST_MAX_HEADER);
    if (hlen > size - 8)
        return cllm_error_set(err, CLLM_ERR_FORMAT,
                              "%s: header length %llu exceeds the %zu bytes after the length (file truncated?)", label,
                              (unsigned long long)hlen, size - 8);
    if (check_utf8(data + 8, (size_t)hlen, label, err)) return CLLM_ERR_FORMAT;
    json_error_t jerr;
    st->root = json_loadb((const char *)data + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &jerr);
    if (!st->root) {
        char tb[160];
        return cllm_error_set(err, CLLM_ERR_FORMAT, "%s: header is not valid JSON: %s (header line %d, column %d)",
                              label, shown(jerr.text, tb, sizeof tb), jerr.line, jerr.column);
    }
    if (!json_is_object(st->root))
        return cllm_error_set(err, CLLM_ERR_FORMAT, "%s: header is not a JSON object", label);
    if (json_object_size(st->root) > INT32_MAX / 2)
        return cllm_error_set(err, CLLM_ERR_FORMAT, "%s: too many tensors", label);
    parse_ctx ctx = {label, data + 8 + hlen, size - 8 - hlen, err};
    return parse_entries(st, &ctx);
}

cllm_safetensors *cllm_safetensors_open_memory(const void *data, size_t size, const char *label, cllm_error *err) {
    cllm_safetensors *st = calloc(1, sizeof *st);
    if (!st || !(st->label = strdup(label ? label : "(memory)"))) {
        free(st);
        cllm_error_set(err, CLLM_ERR_NOMEM, "%s: out of memory opening safetensors", label ? label : "(memory)");
        return NULL;
    }
    if (parse_file(st, data, size, err)) {
        cllm_safetensors_close(st);
        return NULL;
    }
    return st;
}

cllm_safetensors *cllm_safetensors_open(const char *path, cllm_error *err) {
    cllm_mapped_file map;
    if (cllm_mapped_file_open(path, &map, err)) return NULL;
    cllm_safetensors *st = cllm_safetensors_open_memory(map.data, map.size, path, err);
    if (!st) {
        cllm_mapped_file_close(&map);
        return NULL;
    }
    st->map = map;
    return st;
}

void cllm_safetensors_close(cllm_safetensors *st) {
    if (!st) return;
    cllm_mapped_file_close(&st->map);
    json_decref(st->root);
    free(st->tensors);
    free(st->by_name);
    free(st->meta);
    free(st->label);
    free(st);
}

/* ---------------------------------------------------------------------------------------------------------------
 * queries */

int cllm_safetensors_count(const cllm_safetensors *st) { return st->n; }

const cllm_st_tensor *cllm_safetensors_get(const cllm_safetensors *st, int i) {
    return i >= 0 && i < st->n ? &st->tensors[i] : NULL;
}

const cllm_st_tensor *cllm_safetensors_find(const cllm_safetensors *st, const char *name) {
    cllm_st_tensor key = {.name = name};
    const cllm_st_tensor *kp = &key;
    const cllm_st_tensor **hit = bsearch(&kp, st->by_name, (size_t)st->n, sizeof *st->by_name, cmp_name);
    return hit ? *hit : NULL;
}

/* "[768, 2304]" into buf. */
static const char *shape_text(int ndim, const int64_t *shape, char *buf, size_t cap) {
    size_t used = (size_t)snprintf(buf, cap, "[");
    for (int d = 0; d < ndim && used < cap; d++)
        used += (size_t)snprintf(buf + used, cap - used, d ? ", %lld" : "%lld", (long long)shape[d]);
    if (used < cap) snprintf(buf + used, cap - used, "]");
    return buf;
}

const cllm_st_tensor *cllm_safetensors_expect(const cllm_safetensors *st, const char *name, int ndim,
                                              const int64_t *shape, cllm_error *err) {
    char nb[72], have[200], want[200];
    const cllm_st_tensor *t = cllm_safetensors_find(st, name);
    if (!t) {
        cllm_error_set(err, CLLM_ERR_FORMAT, "%s: tensor '%s' is missing (wrong model file?)", st->label,
                       shown(name, nb, sizeof nb));
        return NULL;
    }
    int same = t->ndim == ndim;
    for (int d = 0; same && d < ndim; d++) same = t->shape[d] == shape[d];
    if (!same) {
        cllm_error_set(err, CLLM_ERR_FORMAT, "%s: tensor '%s' has shape %s, expected %s (config mismatch?)",
                       st->label, shown(name, nb, sizeof nb), shape_text(t->ndim, t->shape, have, sizeof have),
                       shape_text(ndim < 0 ? 0 : ndim, shape, want, sizeof want));
        return NULL;
    }
    return t;
}

int cllm_safetensors_meta_count(const cllm_safetensors *st) { return st->nmeta; }

int cllm_safetensors_meta_at(const cllm_safetensors *st, int i, const char **key, const char **value) {
    if (i < 0 || i >= st->nmeta) return -1;
    *key = st->meta[2 * i];
    *value = st->meta[2 * i + 1];
    return 0;
}

const char *cllm_safetensors_meta(const cllm_safetensors *st, const char *key) {
    for (int i = 0; i < st->nmeta; i++)
        if (strcmp(st->meta[2 * i], key) == 0) return st->meta[2 * i + 1];
    return NULL;
}

/* ---------------------------------------------------------------------------------------------------------------
 * conversion to float */

/* IEEE half → float, exactly (every half is a float). */
static float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    float f;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13); /* inf, NaN (payload kept) */
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (man << 13); /* rebias 15 → 127 */
    } else {
        f = (float)man * 0x1p-24f; /* zero or subnormal: man · 2^-24, exact in float */
        memcpy(&bits, &f, 4);
        bits |= sign;
    }
    memcpy(&f, &bits, 4);
    return f;
}

int cllm_safetensors_read_f32(const cllm_safetensors *st, const cllm_st_tensor *t, float *out, size_t count,
                              cllm_error *err) {
    char nb[72];
    size_t esize = cllm_dtype_size(t->dtype), n = esize ? t->nbytes / esize : 0;
    if (count != n)
        return cllm_error_set(err, CLLM_ERR_ARG, "%s: tensor '%s' has %zu elements, but %zu were asked for", st->label,
                              shown(t->name, nb, sizeof nb), n, count);
    /* t->data may be unaligned (a foreign writer without padding): every element goes through memcpy. */
    const uint8_t *p = t->data;
    switch (t->dtype) {
    case CLLM_DT_F32:
        if (n) memcpy(out, p, n * 4);
        return 0;
    case CLLM_DT_F16:
    case CLLM_DT_BF16:
        for (size_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, p + 2 * i, 2);
            if (t->dtype == CLLM_DT_F16) {
                out[i] = f16_to_f32(h);
            } else {
                uint32_t bits = (uint32_t)h << 16; /* bf16 is the top half of a float */
                memcpy(&out[i], &bits, 4);
            }
        }
        return 0;
    case CLLM_DT_F64:
        for (size_t i = 0; i < n; i++) {
            double d;
            memcpy(&d, p + 8 * i, 8);
            out[i] = (float)d;
        }
        return 0;
    default:
        return cllm_error_set(err, CLLM_ERR_STATE, "%s: tensor '%s' has dtype %s, which cannot be read as F32",
                              st->label, shown(t->name, nb, sizeof nb), cllm_dtype_name(t->dtype));
    }
}
