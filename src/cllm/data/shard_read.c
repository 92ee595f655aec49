/* shard_read.c — open a set of shards read-only (mmap), validate every byte once, read tokens by position.
 * Nothing is read whole into RAM: the check walks each map in chunks and hands the pages back as it goes, so a
 * corpus larger than memory opens fine and training later faults in only the windows it draws. */
#include "cllm_data.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

typedef struct shard_file {
    char *path;
    cllm_mapped_file map;
    const uint8_t *tokens; /* map.data + header */
    int width;             /* bytes per token */
    uint64_t count;        /* tokens */
    uint64_t start;        /* stream position of this shard's first token */
} shard_file;

struct cllm_shards {
    shard_file *files; /* in stream order */
    int n;
    uint64_t total;    /* tokens in all files */
    int vocab_size;
    int eot;
};

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_u64(const uint8_t *p) { return get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }

static uint32_t token_at(const uint8_t *p, int width) {
    return width == 2 ? (uint32_t)p[0] | (uint32_t)p[1] << 8 : get_u32(p);
}

/* ---- finding the files ----------------------------------------------------------------------------------- */

typedef struct path_list {
    char **items;
    int n, cap;
} path_list;

static int list_push(path_list *l, char *path) {
    if (!path) return -1;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        char **items = realloc(l->items, (size_t)cap * sizeof *items);
        if (!items) { free(path); return -1; }
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = path;
    return 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int is_shard_name(const char *name, const char *split) {
    size_t n = strlen(name);
    if (n < 5 || strcmp(name + n - 4, ".bin") != 0) return 0;
    if (!split) return 1;
    size_t k = strlen(split);
    return strncmp(name, split, k) == 0 && name[k] == '-';
}

/* Appends dir's shard files of the split, sorted by name. */
static int list_dir(path_list *l, const char *dir, const char *split, cllm_error *err) {
    DIR *d = opendir(dir);
    if (!d) return cllm_error_set(err, CLLM_ERR_IO, "%s: cannot open directory (%s)", dir, strerror(errno));
    int first = l->n, rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        if (!is_shard_name(e->d_name, split)) continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(n);
        if (p) snprintf(p, n, "%s/%s", dir, e->d_name);
        if (list_push(l, p)) rc = cllm_error_set(err, CLLM_ERR_NOMEM, "%s: out of memory", dir);
    }
    closedir(d);
    if (!rc && l->n == first)
        rc = cllm_error_set(err, CLLM_ERR_ARG, "%s: no %s%s*.bin shards here; run 'cllm prepare' first", dir,
                            split ? split : "", split ? "-" : "");
    if (!rc) qsort(l->items + first, (size_t)(l->n - first), sizeof *l->items, by_name);
    return rc;
}

static int list_paths(path_list *l, const char *const *paths, int n_paths, const char *split, cllm_error *err) {
    for (int i = 0; i < n_paths; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0)
            return cllm_error_set(err, CLLM_ERR_IO, "%s: cannot open (%s)", paths[i], strerror(errno));
        if (S_ISDIR(st.st_mode)) {
            int rc = list_dir(l, paths[i], split, err);
            if (rc) return rc;
        } else if (list_push(l, strdup(paths[i]))) {
            return cllm_error_set(err, CLLM_ERR_NOMEM, "%s: out of memory", paths[i]);
        }
    }
    if (l->n == 0) return cllm_error_set(err, CLLM_ERR_ARG, "no shard paths given");
    return 0;
}

/* ---- validation ------------------------------------------------------------------------------------------ */

enum { CHECK_CHUNK = 1 << 20, RELEASE_EVERY = 16 << 20 };

/* CRC-32 and the largest id of a shard's tokens, one chunk at a time; pages already checked are handed back
 * (MADV_DONTNEED on a read-only file map only drops our reference; the page cache keeps them). */
static uint32_t check_tokens(const shard_file *f, uint32_t *max_id) {
    const uint8_t *p = f->tokens;
    size_t bytes = (size_t)f->count * (size_t)f->width, done = 0, released = 0;
    uint32_t crc = 0, mx = 0;
    while (done < bytes) {
        size_t n = bytes - done < CHECK_CHUNK ? bytes - done : CHECK_CHUNK;
        crc = cllm_crc32(crc, p + done, n);
        for (size_t i = 0; i + (size_t)f->width <= n; i += (size_t)f->width) {
            uint32_t v = token_at(p + done + i, f->width);
            if (v > mx) mx = v;
        }
        done += n;
        if (done - released >= RELEASE_EVERY || done == bytes) {
            size_t end = (size_t)(p + done - f->map.data) & ~(size_t)4095; /* whole pages only */
            if (end > released) madvise((void *)(f->map.data + released), end - released, MADV_DONTNEED);
            released = end;
        }
    }
    *max_id = mx;
    return crc;
}

static int check_header(shard_file *f, int *vocab_size, int *eot, cllm_error *err) {
    const uint8_t *h = f->map.data;
    size_t size = f->map.size;
    if (size < CLLM_SHARD_HEADER_BYTES)
        return cllm_error_set(err, CLLM_ERR_FORMAT, "%s: truncated shard: %zu bytes, the header alone needs %d",
                              f->path, size, CLLM_SHARD_HEADER_BYTES);
    if (memcmp(h, "CLLMTOK1", 8) != 0)
        return cllm_error_set(err, CLLM_ERR_FORMAT, "%s: not a cllm token shard (bad magic); make shards with "
                              "'cllm prepare'", f->path);
    uint32_t version = get_u32(h + 8), width = get_u32(h + 12);
    if (version != CLLM_SHARD_VERSION)
        return cllm_error_set(err, CLLM_ERR_FORMAT, "%s: shard version %u, this build reads %d", f->path, version,
                              CLLM_SHARD_VERSION);
    if (width != 2 && width != 4)
        return cllm_error_set(err, CLLM_ERR_FORMAT, "%s: corrupt shard header (token width %u)", f->path, width);
    f->width = (int)width;
    f->count = get_u64(h + 16);
    *vocab_size = (int)get_u32(h + 28);
    *eot = (int32_t)get_u32(h + 32);
    uint64_t body = size - CLLM_SHARD_HEADER_BYTES;
    if (f->count > body / width || body != f->count * width)
        return cllm_error_set(err, CLLM_ERR_FORMAT, "%s: truncated or corrupt shard: header says %llu tokens "
                              "(%llu bytes), the file holds %llu bytes after the header; re-run 'cllm prepare'",
                              f->path, (unsigned long long)f->count, (unsigned long long)f->count * width,
                              (unsigned long long)body);
    if (*vocab_size <= 0 || *eot < -1 || *eot >= *vocab_size || (width == 2) != (*vocab_size <= 65536))
        return cllm_error_set(err, CLLM_ERR_FORMAT, "%s: corrupt shard header (vocabulary %d, eot %d)", f->path,
                              *vocab_size, *eot);
    f->tokens = h + CLLM_SHARD_HEADER_BYTES;
    return 0;
}

static int open_one(shard_file *f, int *vocab_size, int *eot, cllm_error *err) {
    int rc = cllm_mapped_file_open(f->path, &f->map, err);
    if (!rc) rc = check_header(f, vocab_size, eot, err);
    if (rc) return rc;
    uint32_t max_id, crc = check_tokens(f, &max_id);
    if (crc != get_u32(f->map.data + 24))
        return cllm_error_set(err, CLLM_ERR_FORMAT, "%s: corrupt shard: CRC-32 of the tokens is %08x, the header "
                              "says %08x; re-run 'cllm prepare'", f->path, crc, get_u32(f->map.data + 24));
    if (f->count > 0 && max_id >= (uint32_t)*vocab_size)
        return cllm_error_set(err, CLLM_ERR_FORMAT, "%s: corrupt shard: token id %u outside the vocabulary of %d",
                              f->path, max_id, *vocab_size);
    return 0;
}

cllm_shards *cllm_shards_open(const char *const *paths, int n_paths, const char *split, cllm_error *err) {
    path_list l = {0};
    cllm_shards *s = calloc(1, sizeof *s);
    int rc = s ? list_paths(&l, paths, n_paths, split, err) : cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory");
    if (!rc && !(s->files = calloc((size_t)l.n, sizeof *s->files)))
        rc = cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory opening %d shards", l.n);
    for (int i = 0; !rc && i < l.n; i++) {
        shard_file *f = &s->files[i];
        f->path = l.items[i];
        l.items[i] = NULL;
        s->n++;
        int vocab = 0, eot = -1;
        rc = open_one(f, &vocab, &eot, err);
        if (!rc && i > 0 && (vocab != s->vocab_size || eot != s->eot))
            rc = cllm_error_set(err, CLLM_ERR_FORMAT, "%s: vocabulary %d / eot %d differ from %s (%d / %d): shards "
                                "of different tokenizers", f->path, vocab, eot, s->files[0].path, s->vocab_size,
                                s->eot);
        s->vocab_size = vocab;
        s->eot = eot;
        f->start = s->total;
        s->total += f->count;
    }
    for (int i = 0; i < l.n; i++) free(l.items[i]);
    free(l.items);
    if (rc) { cllm_shards_close(s); return NULL; }
    return s;
}

void cllm_shards_close(cllm_shards *s) {
    if (!s) return;
    for (int i = 0; i < s->n; i++) {
        cllm_mapped_file_close(&s->files[i].map);
        free(s->files[i].path);
    }
    free(s->files);
    free(s);
}

uint64_t cllm_shards_count(const cllm_shards *s) { return s->total; }
int cllm_shards_files(const cllm_shards *s) { return s->n; }
int cllm_shards_vocab_size(const cllm_shards *s) { return s->vocab_size; }
int cllm_shards_eot(const cllm_shards *s) { return s->eot; }

/* The file holding stream position pos (< total): the last one whose start is <= pos, skipping empty files. */
static int find_file(const cllm_shards *s, uint64_t pos) {
    int lo = 0, hi = s->n - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (s->files[mid].start <= pos) lo = mid;
        else hi = mid - 1;
    }
    while (lo < s->n - 1 && pos >= s->files[lo].start + s->files[lo].count) lo++;
    return lo;
}

void cllm_shards_read(const cllm_shards *s, uint64_t pos, int32_t *dst, size_t n) {
    int i = n ? find_file(s, pos) : 0;
    while (n > 0) {
        const shard_file *f = &s->files[i++];
        uint64_t off = pos - f->start;
        size_t take = f->count - off < n ? (size_t)(f->count - off) : n;
        const uint8_t *p = f->tokens + off * (uint64_t)f->width;
        if (f->width == 2)
            for (size_t k = 0; k < take; k++) dst[k] = (int32_t)(p[2 * k] | p[2 * k + 1] << 8);
        else
            for (size_t k = 0; k < take; k++) dst[k] = (int32_t)get_u32(p + 4 * k);
        dst += take;
        pos += take;
        n -= take;
    }
}
