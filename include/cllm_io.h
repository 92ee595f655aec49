/* cllm_io.h — model files and training checkpoints (safetensors, Hugging Face GPT-2 tensor names).
 *
 * A model file holds every parameter as F32 under GPT-2's names (wte.weight, wpe.weight, h.{i}.ln_1.weight,
 * h.{i}.attn.c_attn.weight [C,3C], ..., ln_f.bias) and, in __metadata__, the config (n_layer, n_head, n_embd,
 * n_positions, vocab_size, cllm.pos_kind, cllm.embed_init) and the tokenizer (key "tokenizer", its JSON).
 * Files written by other tools with the same names load too: a "transformer." prefix is accepted, the buffers
 * h.{i}.attn.bias / masked_bias and a tied lm_head.weight are ignored, F16/BF16/F64 are converted.
 * A model with speedrun options names them in cllm.arch ("relu2,rmsnorm,qk_norm,..."; absent = GPT-2 exactly,
 * so a GPT-2 model's file is what it always was) and keeps an untied head as lm_head.weight [V, C]; a reader that
 * does not know an option named there refuses the file, naming it.
 * A checkpoint is a model file plus the AdamW moments (opt.m.<name>, opt.v.<name>) and the training state; with
 * Muon, opt.m.<name> of a hidden matrix holds Muon's momentum and metadata cllm.muon its settings.
 */
#ifndef CLLM_IO_H
#define CLLM_IO_H

#include "cllm.h"
#include "cllm_tokenizer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes m (and tok, if non-NULL) to path atomically. */
CLLM_API int cllm_model_save(const cllm_model *m, const cllm_tokenizer *tok, const char *path, cllm_error *err);
/* Reads a model file; *tok_out (if non-NULL) receives its tokenizer, or NULL when the file has none. Every
 * tensor's presence, shape and finiteness is checked; NULL with a one-line error naming the file otherwise. */
CLLM_API cllm_model *cllm_model_load(const char *path, cllm_tokenizer **tok_out, cllm_error *err);
/* The same from size bytes in memory (the caller keeps them; nothing refers to them after the call); `label` names
 * them in error messages. */
CLLM_API cllm_model *cllm_model_load_memory(const void *data, size_t size, const char *label,
                                            cllm_tokenizer **tok_out, cllm_error *err);

/* What besides parameters and moments a checkpoint must carry for a bit-exact resume. */
typedef struct cllm_train_state {
    int64_t step;               /* optimizer steps done */
    uint64_t tokens;            /* training tokens consumed */
    uint8_t data_state[256];    /* the batch loader's state, opaque here */
    size_t data_state_size;     /* bytes used in data_state */
    char args_json[2048];       /* the run's settings that must not change on resume (JSON object text) */
} cllm_train_state;

/* Writes a checkpoint: model, tokenizer, AdamW moments and state, atomically. */
CLLM_API int cllm_checkpoint_save(const char *path, const cllm_model *m, const cllm_tokenizer *tok,
                                  const cllm_adamw *opt, const cllm_train_state *state, cllm_error *err);
/* Reads a checkpoint into a new model (and tokenizer), with opt initialised and filled and state restored. */
CLLM_API cllm_model *cllm_checkpoint_load(const char *path, cllm_tokenizer **tok_out, cllm_adamw *opt,
                                          cllm_train_state *state, cllm_error *err);
/* The same from size bytes in memory, as cllm_model_load_memory. */
CLLM_API cllm_model *cllm_checkpoint_load_memory(const void *data, size_t size, const char *label,
                                                 cllm_tokenizer **tok_out, cllm_adamw *opt,
                                                 cllm_train_state *state, cllm_error *err);

#ifdef __cplusplus
}
#endif

#endif
