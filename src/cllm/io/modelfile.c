/* modelfile.c — model files and checkpoints over safetensors, with GPT-2's tensor names. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cllm_io.h"
#include "cllm_safetensors.h"
#include "model/internal.h"

enum { MAX_META = 24 };

typedef struct meta_list {
    const char *keys[MAX_META];
    const char *values[MAX_META];
    char storage[MAX_META][96]; /* for numbers and cllm.arch */
    int n;
} meta_list;

static void meta_add(meta_list *ml, const char *key, const char *value) {
    ml->keys[ml->n] = key;
    ml->values[ml->n++] = value;
}

static void meta_add_int(meta_list *ml, const char *key, long long v) {
    snprintf(ml->storage[ml->n], sizeof ml->storage[0], "%lld", v);
    meta_add(ml, key, ml->storage[ml->n]);
}

static void config_meta(meta_list *ml, const cllm_config *c) {
    meta_add(ml, "format", "pt");
    meta_add_int(ml, "n_layer", c->n_layer);
    meta_add_int(ml, "n_head", c->n_head);
    meta_add_int(ml, "n_embd", c->n_embd);
    meta_add_int(ml, "n_positions", c->n_ctx);
    meta_add_int(ml, "vocab_size", c->vocab_size);
    meta_add(ml, "cllm.pos_kind", cllm_pos_kind_name(c->pos_kind));
    meta_add(ml, "cllm.embed_init", c->embed_init ? "lattice" : "gpt2");
    meta_add_int(ml, "cllm.attn_prime_bias", c->attn_prime_bias);
    cllm_config_arch(c, ml->storage[ml->n], sizeof ml->storage[0]);
    if (strcmp(ml->storage[ml->n], "gpt2") != 0) meta_add(ml, "cllm.arch", ml->storage[ml->n]); /* GPT-2: absent */
}

/* The config, and how the model was trained when that is known. */
static void model_meta(meta_list *ml, const cllm_model *m) {
    config_meta(ml, cllm_model_config(m));
    if (*cllm_model_trained(m)) meta_add(ml, "cllm.trained", cllm_model_trained(m));
}

static void hex_encode(char *out, const uint8_t *in, size_t n) {
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", in[i]);
    out[2 * n] = 0;
}

static int hex_decode(uint8_t *out, size_t cap, const char *in, size_t *n) {
    size_t len = strlen(in);
    if (len % 2 || len / 2 > cap) return -1;
    for (size_t i = 0; i < len / 2; i++) {
        unsigned v;
        if (sscanf(in + 2 * i, "%2x", &v) != 1) return -1;
        out[i] = (uint8_t)v;
    }
    *n = len / 2;
    return 0;
}

/* Model tensors, then (when opt != NULL) opt.m.* and opt.v.* in the same order. */
static int save_file(const char *path, const cllm_model *m, const cllm_tokenizer *tok, const cllm_adamw *opt,
                     meta_list *ml, cllm_error *err) {
    int nt = cllm_model_tensor_count(m), total = opt ? 3 * nt : nt;
    cllm_st_tensor *ts = calloc((size_t)total, sizeof *ts);
    char(*names)[64] = calloc((size_t)total, sizeof *names);
    char *tok_json = tok ? cllm_tokenizer_to_json(tok) : NULL;
    if (!ts || !names || (tok && !tok_json)) {
        free(ts); free(names); free(tok_json);
        return cllm_error_set(err, CLLM_ERR_NOMEM, "%s: out of memory preparing the file", path);
    }
    for (int i = 0; i < total; i++) {
        const cllm_tensor *t = cllm_model_tensor(m, i % nt);
        const float *data = t->data;
        snprintf(names[i], sizeof names[0], "%s%s", i < nt ? "" : i < 2 * nt ? "opt.m." : "opt.v.", t->name);
        if (i >= nt) data = (i < 2 * nt ? opt->m : opt->v) + t->offset;
        ts[i] = (cllm_st_tensor){.name = names[i], .dtype = CLLM_DT_F32, .ndim = t->ndim,
                                 .shape = {t->shape[0], t->shape[1]}, .data = data,
                                 .nbytes = t->numel * sizeof(float)};
    }
    if (tok_json) meta_add(ml, "tokenizer", tok_json);
    int rc = cllm_safetensors_write(path, ts, total, ml->keys, ml->values, ml->n, err);
    free(ts); free(names); free(tok_json);
    return rc;
}

int cllm_model_save(const cllm_model *m, const cllm_tokenizer *tok, const char *path, cllm_error *err) {
    meta_list ml = {0};
    model_meta(&ml, m);
    return save_file(path, m, tok, NULL, &ml, err);
}

int cllm_checkpoint_save(const char *path, const cllm_model *m, const cllm_tokenizer *tok, const cllm_adamw *opt,
                         const cllm_train_state *st, cllm_error *err) {
    meta_list ml = {0};
    model_meta(&ml, m);
    char adam[256], data_hex[2 * sizeof st->data_state + 1];
    snprintf(adam, sizeof adam, "{\"beta1\":%.9g,\"beta2\":%.9g,\"eps\":%.9g,\"weight_decay\":%.9g,\"step\":%" PRId64 "}",
             opt->beta1, opt->beta2, opt->eps, opt->weight_decay, opt->step);
    hex_encode(data_hex, st->data_state, st->data_state_size);
    meta_add_int(&ml, "cllm.step", st->step);
    meta_add_int(&ml, "cllm.tokens", (long long)st->tokens);
    meta_add(&ml, "cllm.adamw", adam);
    meta_add(&ml, "cllm.data_state", data_hex);
    meta_add(&ml, "cllm.args", st->args_json);
    char muon[160];
    if (opt->muon) { /* its momentum is in opt.m.*; only the settings go here */
        snprintf(muon, sizeof muon, "{\"lr_scale\":%.9g,\"momentum\":%.9g,\"ns_steps\":%d}", opt->muon_lr_scale,
                 opt->muon_momentum, opt->muon_ns_steps);
        meta_add(&ml, "cllm.muon", muon);
    }
    return save_file(path, m, tok, opt, &ml, err);
}

/* ---- loading ---- */

static int meta_int(const cllm_safetensors *st, const char *key, long lo, long hi, int *out, const char *path,
                    cllm_error *err) {
    const char *v = cllm_safetensors_meta(st, key);
    if (!v) return 1; /* absent */
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi)
        return -cllm_error_set(err, CLLM_ERR_FORMAT, "%s: metadata %s='%.40s' is not an integer in [%ld, %ld]", path,
                               key, v, lo, hi);
    *out = (int)x;
    return 0;
}

static const cllm_st_tensor *find_tensor(const cllm_safetensors *st, const char *name) {
    const cllm_st_tensor *t = cllm_safetensors_find(st, name);
    if (t) return t;
    char prefixed[80];
    snprintf(prefixed, sizeof prefixed, "transformer.%s", name);
    return cllm_safetensors_find(st, prefixed);
}

/* The config from metadata, or inferred from shapes (GPT-2 files: head size 64 when n_head is absent). */
static int read_config(const cllm_safetensors *st, const char *path, cllm_config *c, cllm_error *err) {
    memset(c, 0, sizeof *c);
    const cllm_st_tensor *wte = find_tensor(st, "wte.weight"), *wpe = find_tensor(st, "wpe.weight");
    if (!wte || !wpe || wte->ndim != 2 || wpe->ndim != 2)
        return cllm_error_set(err, CLLM_ERR_FORMAT, "%s: no 2-D wte.weight/wpe.weight: not a GPT-2 model file", path);
    int n_layer = 0;
    for (;; n_layer++) {
        char name[48];
        snprintf(name, sizeof name, "h.%d.ln_1.weight", n_layer);
        if (!find_tensor(st, name) || n_layer > 256) break;
    }
    if (wte->shape[0] > (1 << 24) || wte->shape[1] > 16384 || wpe->shape[0] > 65536)
        return cllm_error_set(err, CLLM_ERR_FORMAT, "%s: embedding shapes out of range", path);
    c->vocab_size = (int)wte->shape[0];
    c->n_embd = (int)wte->shape[1];
    c->n_ctx = (int)wpe->shape[0];
    c->n_layer = n_layer;
    c->n_head = c->n_embd % 64 == 0 ? c->n_embd / 64 : 1;
    int rc = 0;
    struct { const char *key; int *dst; long lo, hi; } ints[] = {
        {"n_layer", &c->n_layer, 0, 256},         {"n_head", &c->n_head, 1, 16384},
        {"n_embd", &c->n_embd, 1, 16384},          {"n_positions", &c->n_ctx, 1, 65536},
        {"vocab_size", &c->vocab_size, 2, 1 << 24},
    };
    for (size_t i = 0; i < sizeof ints / sizeof *ints && rc >= 0; i++)
        rc = meta_int(st, ints[i].key, ints[i].lo, ints[i].hi, ints[i].dst, path, err);
    if (rc < 0) return CLLM_ERR_FORMAT;
    const char *pk = cllm_safetensors_meta(st, "cllm.pos_kind"), *ei = cllm_safetensors_meta(st, "cllm.embed_init");
    c->pos_kind = pk ? cllm_pos_kind_parse(pk) : CLLM_POS_LEARNED;
    if (c->pos_kind < 0) return cllm_error_set(err, CLLM_ERR_FORMAT, "%s: unknown cllm.pos_kind '%.40s'", path, pk);
    c->embed_init = ei && strcmp(ei, "lattice") == 0;
    if (meta_int(st, "cllm.attn_prime_bias", 0, 1, &c->attn_prime_bias, path, err) < 0) return CLLM_ERR_FORMAT;
    const char *arch = cllm_safetensors_meta(st, "cllm.arch"); /* absent: GPT-2 exactly */
    cllm_error aerr = {0};
    if (arch && cllm_config_arch_parse(c, arch, &aerr))
        return cllm_error_set(err, CLLM_ERR_FORMAT, "%s: cannot run this model: %s", path, aerr.msg);
    cllm_error cerr = {0};
    if (cllm_config_check(c, &cerr))
        return cllm_error_set(err, CLLM_ERR_FORMAT, "%s: bad config: %s", path, cerr.msg);
    return 0;
}

/* Names a model file may carry besides the parameters: buffers and the tied head other tools save, and a
 * checkpoint's moments (so a checkpoint also serves as a model file). */
static int ignorable(const char *name) {
    if (strncmp(name, "transformer.", 12) == 0) name += 12;
    if (strncmp(name, "opt.m.", 6) == 0 || strncmp(name, "opt.v.", 6) == 0) return 1;
    if (strcmp(name, "lm_head.weight") == 0) return 1;
    size_t n = strlen(name);
    return strncmp(name, "h.", 2) == 0 &&
           ((n > 10 && strcmp(name + n - 10, ".attn.bias") == 0) ||
            (n > 17 && strcmp(name + n - 17, ".attn.masked_bias") == 0));
}

static int load_tensor(const cllm_safetensors *st, const char *name, const cllm_tensor *t, float *dst,
                       const char *path, cllm_error *err) {
    const cllm_st_tensor *s = find_tensor(st, name);
    if (!s) return cllm_error_set(err, CLLM_ERR_FORMAT, "%s: tensor '%s' is missing", path, name);
    if (!cllm_safetensors_expect(st, s->name, t->ndim, t->shape, err)) return err ? err->code : CLLM_ERR_FORMAT;
    cllm_error rerr = {0};
    if (cllm_safetensors_read_f32(st, s, dst, t->numel, &rerr))
        return cllm_error_set(err, CLLM_ERR_FORMAT, "%s: tensor '%s': %s", path, name, rerr.msg);
    for (size_t i = 0; i < t->numel; i++)
        if (!isfinite(dst[i]))
            return cllm_error_set(err, CLLM_ERR_FORMAT, "%s: tensor '%s' holds a non-finite value at %zu", path, name, i);
    return 0;
}

/* The config (from metadata, which costs a file nothing to state) sizes the model; refuse it before allocating
 * when the model would have more parameters than the file's tensors hold values, beyond a small slack (so that a
 * file missing one small tensor still gets the message naming it). A valid file always passes, and a loader
 * allocates at most 4 bytes (12 with a checkpoint's moments) per value the file backs, plus 16 MB (48 MB). */
enum { UNBACKED_SLACK = 1 << 22 /* parameters */ };

static int check_backed(const cllm_safetensors *st, const cllm_config *cfg, const char *path, cllm_error *err) {
    size_t sizes[CLLM_NUM_PARAM_KINDS], need = 0, held = 0;
    cllm_param_sizes(cfg, sizes);
    for (int k = 0; k < CLLM_NUM_PARAM_KINDS; k++) need += sizes[k];
    for (int i = 0; i < cllm_safetensors_count(st); i++) {
        const cllm_st_tensor *t = cllm_safetensors_get(st, i);
        if (!ignorable(t->name)) held += t->nbytes / cllm_dtype_size(t->dtype);
    }
    if (need > held + UNBACKED_SLACK)
        return cllm_error_set(err, CLLM_ERR_FORMAT, "%s: its config (%d layers, %d channels, %d tokens, context %d) "
                              "needs %zu parameters but its tensors hold %zu values: metadata and tensors disagree",
                              path, cfg->n_layer, cfg->n_embd, cfg->vocab_size, cfg->n_ctx, need, held);
    return 0;
}

/* Builds a model (and, with opt, a checkpoint's moments and state) from st, which it closes; st NULL (its open
 * failed, err filled) returns NULL. path names the file or buffer in messages. */
static cllm_model *load_parsed(cllm_safetensors *st, const char *path, cllm_tokenizer **tok_out, cllm_adamw *opt,
                               cllm_train_state *state, cllm_error *err) {
    if (tok_out) *tok_out = NULL;
    if (opt) memset(opt, 0, sizeof *opt);
    if (!st) return NULL;
    cllm_config cfg;
    cllm_model *m = NULL;
    cllm_tokenizer *tok = NULL;
    if (read_config(st, path, &cfg, err) || check_backed(st, &cfg, path, err)) goto fail;
    if (!(m = cllm_model_new(&cfg, err))) goto fail;
    for (int i = 0; i < cllm_safetensors_count(st); i++) {
        const char *name = cllm_safetensors_get(st, i)->name, *bare = name;
        if (strncmp(bare, "transformer.", 12) == 0) bare += 12;
        if (!cllm_model_tensor_find(m, bare) && !ignorable(name)) {
            cllm_error_set(err, CLLM_ERR_FORMAT, "%s: unexpected tensor '%.60s' (not a GPT-2 parameter of this config)",
                           path, name);
            goto fail;
        }
    }
    for (int i = 0; i < cllm_model_tensor_count(m); i++) {
        const cllm_tensor *t = cllm_model_tensor(m, i);
        if (load_tensor(st, t->name, t, t->data, path, err)) goto fail;
    }
    cllm_model_set_trained(m, cllm_safetensors_meta(st, "cllm.trained"));
    if (cllm_model_fill_positions(m)) {
        cllm_error_set(err, CLLM_ERR_NOMEM, "%s: out of memory computing the %s position encoding", path,
                       cllm_pos_kind_name(cfg.pos_kind));
        goto fail;
    }
    if (opt) {
        if (cllm_adamw_init(opt, m, err)) goto fail;
        const char *muon = cllm_safetensors_meta(st, "cllm.muon");
        if (muon) {
            float lr_scale, momentum;
            int ns_steps;
            cllm_error merr = {0};
            if (sscanf(muon, "{\"lr_scale\":%g,\"momentum\":%g,\"ns_steps\":%d}", &lr_scale, &momentum,
                       &ns_steps) != 3 || cllm_adamw_set_muon(opt, m, lr_scale, momentum, ns_steps, &merr)) {
                cllm_error_set(err, CLLM_ERR_FORMAT, "%s: malformed cllm.muon settings %s", path, merr.msg);
                goto fail;
            }
        }
        for (int i = 0; i < cllm_model_tensor_count(m); i++) {
            const cllm_tensor *t = cllm_model_tensor(m, i);
            char name[80];
            snprintf(name, sizeof name, "opt.m.%s", t->name);
            if (load_tensor(st, name, t, opt->m + t->offset, path, err)) goto fail;
            snprintf(name, sizeof name, "opt.v.%s", t->name);
            if (load_tensor(st, name, t, opt->v + t->offset, path, err)) goto fail;
        }
        const char *adam = cllm_safetensors_meta(st, "cllm.adamw"), *data = cllm_safetensors_meta(st, "cllm.data_state");
        const char *args = cllm_safetensors_meta(st, "cllm.args");
        memset(state, 0, sizeof *state);
        int step_ok = 0, tokens_ok = 0, step;
        long long tokens = 0;
        step_ok = meta_int(st, "cllm.step", 0, 2147483647L, &step, path, err) == 0;
        const char *tv = cllm_safetensors_meta(st, "cllm.tokens");
        tokens_ok = tv && sscanf(tv, "%lld", &tokens) == 1 && tokens >= 0;
        if (!adam || !data || !args || !step_ok || !tokens_ok ||
            sscanf(adam, "{\"beta1\":%g,\"beta2\":%g,\"eps\":%g,\"weight_decay\":%g,\"step\":%" SCNd64 "}",
                   &opt->beta1, &opt->beta2, &opt->eps, &opt->weight_decay, &opt->step) != 5 ||
            hex_decode(state->data_state, sizeof state->data_state, data, &state->data_state_size) ||
            strlen(args) >= sizeof state->args_json) {
            cllm_error_set(err, CLLM_ERR_FORMAT, "%s: not a complete checkpoint (training state missing or malformed)",
                           path);
            goto fail;
        }
        state->step = step;
        state->tokens = (uint64_t)tokens;
        strcpy(state->args_json, args);
    }
    const char *tj = cllm_safetensors_meta(st, "tokenizer");
    if (tj) {
        cllm_error terr = {0};
        if (!(tok = cllm_tokenizer_from_json(tj, strlen(tj), &terr))) {
            cllm_error_set(err, CLLM_ERR_FORMAT, "%s: bad tokenizer in metadata: %s", path, terr.msg);
            goto fail;
        }
        if (cllm_tokenizer_vocab_size(tok) > cfg.vocab_size) {
            cllm_error_set(err, CLLM_ERR_FORMAT, "%s: tokenizer has %d ids but the model only %d", path,
                           cllm_tokenizer_vocab_size(tok), cfg.vocab_size);
            goto fail;
        }
    }
    cllm_safetensors_close(st);
    if (tok_out) *tok_out = tok;
    else cllm_tokenizer_free(tok);
    return m;
fail:
    if (opt && opt->m) cllm_adamw_free(opt);
    cllm_tokenizer_free(tok);
    cllm_model_free(m);
    cllm_safetensors_close(st);
    return NULL;
}

cllm_model *cllm_model_load(const char *path, cllm_tokenizer **tok_out, cllm_error *err) {
    return load_parsed(cllm_safetensors_open(path, err), path, tok_out, NULL, NULL, err);
}

cllm_model *cllm_checkpoint_load(const char *path, cllm_tokenizer **tok_out, cllm_adamw *opt,
                                 cllm_train_state *state, cllm_error *err) {
    return load_parsed(cllm_safetensors_open(path, err), path, tok_out, opt, state, err);
}

cllm_model *cllm_model_load_memory(const void *data, size_t size, const char *label, cllm_tokenizer **tok_out,
                                   cllm_error *err) {
    return load_parsed(cllm_safetensors_open_memory(data, size, label, err), label, tok_out, NULL, NULL, err);
}

cllm_model *cllm_checkpoint_load_memory(const void *data, size_t size, const char *label, cllm_tokenizer **tok_out,
                                        cllm_adamw *opt, cllm_train_state *state, cllm_error *err) {
    return load_parsed(cllm_safetensors_open_memory(data, size, label, err), label, tok_out, opt, state, err);
}
