/* config.c — presets and validation, and the GPT-2 tensor table (the names and file shapes of the parameters). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "primemath.h"

static const char *const pos_names[] = {"learned", "sinusoidal", "spiral", "clock", "prime"};

const char *cllm_pos_kind_name(int kind) {
    return kind >= 0 && kind < (int)(sizeof pos_names / sizeof *pos_names) ? pos_names[kind] : "unknown";
}

int cllm_pos_kind_parse(const char *name) {
    for (int i = 0; i < (int)(sizeof pos_names / sizeof *pos_names); i++)
        if (strcmp(name, pos_names[i]) == 0) return i;
    return -1;
}

int cllm_config_preset(const char *name, cllm_config *out, cllm_error *err) {
    static const struct { const char *name; cllm_config cfg; } presets[] = {
        {"tiny", {.n_layer = 4, .n_head = 4, .n_embd = 256, .n_ctx = 256, .vocab_size = 4096}},
        {"small", {.n_layer = 6, .n_head = 6, .n_embd = 384, .n_ctx = 256, .vocab_size = 4096}},
        {"gpt2", {.n_layer = 12, .n_head = 12, .n_embd = 768, .n_ctx = 1024, .vocab_size = 50257}},
    };
    for (size_t i = 0; i < sizeof presets / sizeof *presets; i++)
        if (strcmp(name, presets[i].name) == 0) {
            *out = presets[i].cfg;
            return 0;
        }
    return cllm_error_set(err, CLLM_ERR_ARG, "unknown config '%s' (known: tiny, small, gpt2)", name);
}

/* The speedrun's on/off options by their cllm.arch names, in the order cllm.arch lists them, and where each lives
 * in the config. */
static const struct { const char *name; size_t offset; } arch_flags[] = {
    {"relu2", offsetof(cllm_config, mlp_relu2)},     {"rmsnorm", offsetof(cllm_config, rmsnorm)},
    {"untied_head", offsetof(cllm_config, untied_head)}, {"no_bias", offsetof(cllm_config, no_bias)},
    {"zero_init_proj", offsetof(cllm_config, zero_init_proj)}, {"qk_norm", offsetof(cllm_config, qk_norm)},
    {"rope", offsetof(cllm_config, rope)},
};

static int *arch_flag(const cllm_config *c, size_t i) { return (int *)((char *)c + arch_flags[i].offset); }

int cllm_config_check(const cllm_config *c, cllm_error *err) {
    if (c->n_layer < 0 || c->n_layer > 256)
        return cllm_error_set(err, CLLM_ERR_ARG, "n_layer %d out of range [0, 256]", c->n_layer);
    if (c->n_embd < 1 || c->n_embd > 16384)
        return cllm_error_set(err, CLLM_ERR_ARG, "n_embd %d out of range [1, 16384]", c->n_embd);
    if (c->n_head < 1 || c->n_head > c->n_embd || c->n_embd % c->n_head != 0)
        return cllm_error_set(err, CLLM_ERR_ARG, "n_head %d must divide n_embd %d", c->n_head, c->n_embd);
    if (c->n_ctx < 1 || c->n_ctx > 65536)
        return cllm_error_set(err, CLLM_ERR_ARG, "n_ctx %d out of range [1, 65536]", c->n_ctx);
    if (c->vocab_size < 2 || c->vocab_size > (1 << 24))
        return cllm_error_set(err, CLLM_ERR_ARG, "vocab_size %d out of range [2, 16777216]", c->vocab_size);
    if (c->pos_kind < 0 || c->pos_kind > CLLM_POS_PRIME)
        return cllm_error_set(err, CLLM_ERR_ARG, "unknown position kind %d", c->pos_kind);
    if ((c->pos_kind >= CLLM_POS_SPIRAL || c->embed_init) && c->n_embd % 4 != 0)
        return cllm_error_set(err, CLLM_ERR_ARG, "n_embd %d must be a multiple of 4 for spiral features", c->n_embd);
    if (c->attn_prime_bias < 0 || c->attn_prime_bias > 1)
        return cllm_error_set(err, CLLM_ERR_ARG, "attn_prime_bias must be 0 or 1");
    if (c->embed_init < 0 || c->embed_init > 1)
        return cllm_error_set(err, CLLM_ERR_ARG, "unknown embedding init %d", c->embed_init);
    for (size_t i = 0; i < sizeof arch_flags / sizeof *arch_flags; i++)
        if (*arch_flag(c, i) < 0 || *arch_flag(c, i) > 1)
            return cllm_error_set(err, CLLM_ERR_ARG, "architecture flag %s is not 0 or 1", arch_flags[i].name);
    if (c->rope == 1 && (c->n_embd / c->n_head) % 2 != 0)
        return cllm_error_set(err, CLLM_ERR_ARG, "rotary positions turn pairs of a head's channels: head size %d "
                              "(n_embd/n_head) must be even", c->n_embd / c->n_head);
    if (c->rope == 1 && c->pos_kind != CLLM_POS_LEARNED)
        return cllm_error_set(err, CLLM_ERR_ARG, "rotary positions replace the position embedding: position kind "
                              "%s cannot go with them", cllm_pos_kind_name(c->pos_kind));
    if (!(c->logit_softcap >= 0 && c->logit_softcap <= 1e4))
        return cllm_error_set(err, CLLM_ERR_ARG, "logit soft-cap %g out of range [0, 10000]", c->logit_softcap);
    return 0;
}

void cllm_config_arch(const cllm_config *cfg, char *out, size_t cap) {
    size_t n = 0;
    if (cap == 0) return;
    out[0] = 0;
    for (size_t i = 0; i < sizeof arch_flags / sizeof *arch_flags; i++)
        if (*arch_flag(cfg, i))
            n += (size_t)snprintf(out + (n < cap ? n : cap - 1), n < cap ? cap - n : 1, "%s%s", n ? "," : "",
                                  arch_flags[i].name);
    if (cfg->logit_softcap > 0)
        n += (size_t)snprintf(out + (n < cap ? n : cap - 1), n < cap ? cap - n : 1, "%ssoftcap=%.9g", n ? "," : "",
                              cfg->logit_softcap);
    if (n == 0) snprintf(out, cap, "gpt2");
}

int cllm_config_arch_parse(cllm_config *cfg, const char *arch, cllm_error *err) {
    if (strcmp(arch, "gpt2") == 0) return 0;
    for (const char *p = arch; *p;) {
        size_t len = strcspn(p, ","), i = 0;
        char *end = NULL;
        while (i < sizeof arch_flags / sizeof *arch_flags &&
               !(strlen(arch_flags[i].name) == len && strncmp(p, arch_flags[i].name, len) == 0))
            i++;
        if (i < sizeof arch_flags / sizeof *arch_flags) *arch_flag(cfg, i) = 1;
        else if (len > 8 && strncmp(p, "softcap=", 8) == 0 && (cfg->logit_softcap = strtof(p + 8, &end)) > 0 &&
                 end == p + len) {
        } else {
            return cllm_error_set(err, CLLM_ERR_FORMAT,
                                  "unknown architecture option '%.*s' (this build knows relu2, rmsnorm, untied_head, "
                                  "no_bias, zero_init_proj, qk_norm, rope, softcap=CAP)", (int)(len > 40 ? 40 : len), p);
        }
        p += len + (p[len] == ',');
    }
    return 0;
}

int cllm_tensor_count(const cllm_config *cfg) {
    return cfg->n_layer * (12 + (cfg->attn_prime_bias ? 1 : 0)) + 4 + (cfg->untied_head ? 1 : 0);
}

void cllm_prime_table(uint8_t *is_prime, int n) {
    for (int d = 0; d < n; d++) is_prime[d] = (uint8_t)pm_is_prime((uint64_t)d);
}

/* One row of the per-layer table: which kind, its HF suffix, whether it decays, and its file shape. */
static const struct { int kind; const char *suffix; int decay; int rows, cols; } layer_tensors[] = {
    /* rows/cols in units of C: 0 means a 1-D tensor of cols·C */
    {CLLM_P_LN1W, "ln_1.weight", 0, 0, 1},          {CLLM_P_LN1B, "ln_1.bias", 0, 0, 1},
    {CLLM_P_QKVW, "attn.c_attn.weight", 1, 1, 3},   {CLLM_P_QKVB, "attn.c_attn.bias", 0, 0, 3},
    {CLLM_P_ATTPROJW, "attn.c_proj.weight", 1, 1, 1}, {CLLM_P_ATTPROJB, "attn.c_proj.bias", 0, 0, 1},
    {CLLM_P_LN2W, "ln_2.weight", 0, 0, 1},          {CLLM_P_LN2B, "ln_2.bias", 0, 0, 1},
    {CLLM_P_FCW, "mlp.c_fc.weight", 1, 1, 4},       {CLLM_P_FCB, "mlp.c_fc.bias", 0, 0, 4},
    {CLLM_P_FCPROJW, "mlp.c_proj.weight", 1, 4, 1}, {CLLM_P_FCPROJB, "mlp.c_proj.bias", 0, 0, 1},
};

static void add_tensor(cllm_tensor *t, const char *name, int ndim, int64_t d0, int64_t d1, float *params,
                       float *grads, size_t offset, int decay, int trainable) {
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = ndim;
    t->shape[0] = d0;
    t->shape[1] = ndim == 2 ? d1 : 0;
    t->numel = (size_t)d0 * (ndim == 2 ? (size_t)d1 : 1);
    t->offset = offset;
    t->data = params ? params + offset : NULL;
    t->grad = grads ? grads + offset : NULL;
    t->decay = decay;
    t->trainable = trainable;
}

int cllm_tensor_table(const cllm_config *cfg, float *params, float *grads, cllm_tensor *out, int cap) {
    size_t sizes[CLLM_NUM_PARAM_KINDS], start[CLLM_NUM_PARAM_KINDS], off = 0;
    cllm_param_sizes(cfg, sizes);
    for (int k = 0; k < CLLM_NUM_PARAM_KINDS; k++) { start[k] = off; off += sizes[k]; }
    int L = cfg->n_layer, C = cfg->n_embd, n = 0;
    if (cap < cllm_tensor_count(cfg)) return -1;
    add_tensor(&out[n++], "wte.weight", 2, cfg->vocab_size, C, params, grads, start[CLLM_P_WTE], 1, 1);
    add_tensor(&out[n++], "wpe.weight", 2, cfg->n_ctx, C, params, grads, start[CLLM_P_WPE], 0,
               cfg->pos_kind == CLLM_POS_LEARNED && !cfg->rope); /* rope: kept in the file, 0 and unused */
    for (int l = 0; l < L; l++)
        for (size_t j = 0; j < sizeof layer_tensors / sizeof *layer_tensors; j++) {
            char name[48];
            int k = layer_tensors[j].kind, r = layer_tensors[j].rows, c = layer_tensors[j].cols;
            snprintf(name, sizeof name, "h.%d.%s", l, layer_tensors[j].suffix);
            size_t per_layer = sizes[k] / (size_t)L;
            /* biases: frozen at 0 with no_bias, and the norms' with rmsnorm (RMSNorm has none) */
            int is_bias = !r && k != CLLM_P_LN1W && k != CLLM_P_LN2W, is_norm = k == CLLM_P_LN1B || k == CLLM_P_LN2B;
            int trainable = !(is_bias && (cfg->no_bias || (is_norm && cfg->rmsnorm)));
            add_tensor(&out[n++], name, r ? 2 : 1, r ? (int64_t)r * C : (int64_t)c * C, (int64_t)c * C, params,
                       grads, start[k] + (size_t)l * per_layer, layer_tensors[j].decay, trainable);
        }
    for (int l = 0; cfg->attn_prime_bias && l < L; l++) {
        char name[48];
        snprintf(name, sizeof name, "h.%d.attn.prime_bias", l);
        add_tensor(&out[n++], name, 1, cfg->n_head, 0, params, grads, start[CLLM_P_PRIMEBIAS] + (size_t)l * cfg->n_head,
                   0, 1);
    }
    add_tensor(&out[n++], "ln_f.weight", 1, C, 0, params, grads, start[CLLM_P_LNFW], 0, 1);
    add_tensor(&out[n++], "ln_f.bias", 1, C, 0, params, grads, start[CLLM_P_LNFB], 0,
               !cfg->no_bias && !cfg->rmsnorm);
    if (cfg->untied_head)
        add_tensor(&out[n++], "lm_head.weight", 2, cfg->vocab_size, C, params, grads, start[CLLM_P_LMHEAD], 1, 1);
    return n;
}
