/* walk.c — the one corpus directory walker: `cllm prepare` (data_source in input.c), `cllm tokenizer train` and the
 * trainer's tokenizer all read the same files in the same order. A directory is walked recursively in name order;
 * hidden entries (.git and the like are not corpus), symlinked directories (no cycles) and one directory to skip
 * (prepare's own output) are left out; what is not a regular file is reported and passed over. */
#include "input.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct data_walk_level {
    char *path;
    char **names; /* sorted entry names */
    int n, next;
};

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char *join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static void skipped(data_walk *w, const char *path, const char *why) {
    if (w->skipped) w->skipped(w->ctx, path, why);
}

int data_walk_push(data_walk *w, const char *path, cllm_error *err) {
    DIR *d = opendir(path);
    if (!d) {
        char why[160];
        snprintf(why, sizeof why, "cannot open directory (%s)", strerror(errno));
        skipped(w, path, why);
        return 0;
    }
    data_walk_level lv = {0};
    int cap = 0, rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (lv.n == cap) {
            cap = cap ? 2 * cap : 32;
            char **names = realloc(lv.names, (size_t)cap * sizeof *names);
            if (!names) { rc = CLLM_ERR_NOMEM; break; }
            lv.names = names;
        }
        if (!(lv.names[lv.n] = strdup(e->d_name))) rc = CLLM_ERR_NOMEM;
        else lv.n++;
    }
    closedir(d);
    if (!rc && w->depth == w->cap) {
        int c = w->cap ? 2 * w->cap : 8;
        data_walk_level *s = realloc(w->stack, (size_t)c * sizeof *s);
        if (s) { w->stack = s; w->cap = c; } else rc = CLLM_ERR_NOMEM;
    }
    if (!rc && !(lv.path = strdup(path))) rc = CLLM_ERR_NOMEM;
    if (rc) {
        for (int i = 0; i < lv.n; i++) free(lv.names[i]);
        free(lv.names);
        return cllm_error_set(err, CLLM_ERR_NOMEM, "%s: out of memory listing the directory", path);
    }
    if (lv.n) qsort(lv.names, (size_t)lv.n, sizeof *lv.names, by_name);
    w->stack[w->depth++] = lv;
    return 0;
}

static void pop(data_walk *w) {
    data_walk_level *lv = &w->stack[--w->depth];
    for (int i = 0; i < lv->n; i++) free(lv->names[i]);
    free(lv->names);
    free(lv->path);
}

int data_walk_next(data_walk *w, char **out, cllm_error *err) {
    while (w->depth > 0) {
        data_walk_level *top = &w->stack[w->depth - 1];
        if (top->next == top->n) { pop(w); continue; }
        char *path = join(top->path, top->names[top->next++]);
        struct stat st;
        if (!path) return -cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory walking %s", top->path);
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) { /* symlinked directories are not followed */
            int skip = st.st_dev == w->skip_dev && st.st_ino == w->skip_ino;
            int rc = skip ? 0 : data_walk_push(w, path, err);
            free(path);
            if (rc) return -rc;
            continue;
        }
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            skipped(w, path, "not a regular file");
            free(path);
            continue;
        }
        *out = path;
        return 1;
    }
    return 0;
}

void data_walk_free(data_walk *w) {
    while (w->depth > 0) pop(w);
    free(w->stack);
    w->stack = NULL;
    w->cap = 0;
}

/* ---- the public list -------------------------------------------------------------------------------------- */

void cllm_corpus_files_free(char **files, int n) {
    for (int i = 0; files && i < n; i++) free(files[i]);
    free(files);
}

/* Appends path (taking it) to list; frees it on failure. */
static int append(char ***list, int *count, int *cap, char *path, cllm_error *err) {
    if (!path) return cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory");
    if (*count == *cap) {
        int c = *cap ? 2 * *cap : 64;
        char **grown = realloc(*list, (size_t)c * sizeof *grown);
        if (!grown) { free(path); return cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory"); }
        *list = grown;
        *cap = c;
    }
    (*list)[(*count)++] = path;
    return 0;
}

int cllm_corpus_files(const char *const *paths, int n_paths, char ***files, int *n, cllm_error *err) {
    char **list = NULL, *path;
    int count = 0, cap = 0, rc = 0;
    data_walk w = {0};
    for (int i = 0; !rc && i < n_paths; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            rc = cllm_error_set(err, CLLM_ERR_IO, "%s: cannot open (%s)", paths[i], strerror(errno));
        } else if (!S_ISDIR(st.st_mode)) {
            rc = append(&list, &count, &cap, strdup(paths[i]), err);
        } else if (!(rc = data_walk_push(&w, paths[i], err))) {
            int more;
            while (!rc && (more = data_walk_next(&w, &path, err)) > 0) rc = append(&list, &count, &cap, path, err);
            if (!rc && more < 0) rc = -more;
        }
    }
    data_walk_free(&w);
    if (rc) { cllm_corpus_files_free(list, count); return rc; }
    *files = list;
    *n = count;
    return 0;
}
