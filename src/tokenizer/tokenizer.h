/* tokenizer.h — text <-> token ids from a GGUF vocabulary, exactly as llama.cpp does it.
 *
 * Supports tokenizer.ggml.model = llama (SPM), gpt2 (byte-level BPE) and bert (WordPiece),
 * with the pre-tokenizer named by tokenizer.ggml.pre. A vocabulary is immutable after load
 * and may be shared by threads. */
#ifndef LMD_TOKENIZER_H
#define LMD_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gguf/gguf.h"
#include "util/err.h"

typedef struct lmd_vocab lmd_vocab;

typedef enum { LMD_VOCAB_SPM = 1, LMD_VOCAB_BPE = 2, LMD_VOCAB_WPM = 3 } lmd_vocab_kind;

/* Token attributes (GGUF tokenizer.ggml.token_type). */
typedef enum {
    LMD_TOKEN_UNDEFINED = 0, LMD_TOKEN_NORMAL = 1, LMD_TOKEN_UNKNOWN = 2, LMD_TOKEN_CONTROL = 3,
    LMD_TOKEN_USER_DEFINED = 4, LMD_TOKEN_UNUSED = 5, LMD_TOKEN_BYTE = 6,
} lmd_token_type;

/* Loads the vocabulary from g's tokenizer.* keys (copies what it keeps; g may be closed
 * afterwards). Unknown tokenizer model or pre-tokenizer is LMD_E_UNSUPPORTED, malformed
 * arrays LMD_E_FORMAT. */
lmd_status lmd_vocab_load(const lmd_gguf *g, lmd_vocab **out, lmd_err *err);
void lmd_vocab_free(lmd_vocab *v);

lmd_vocab_kind lmd_vocab_kind_of(const lmd_vocab *v);
int32_t lmd_vocab_n_tokens(const lmd_vocab *v);
int32_t lmd_vocab_bos(const lmd_vocab *v);   /* -1 when none */
int32_t lmd_vocab_eos(const lmd_vocab *v);
int32_t lmd_vocab_eot(const lmd_vocab *v);
bool lmd_vocab_add_bos(const lmd_vocab *v);
bool lmd_vocab_add_eos(const lmd_vocab *v);
/* True for end-of-generation tokens (eos, eot, eom and the others llama.cpp counts). */
bool lmd_vocab_is_eog(const lmd_vocab *v, int32_t id);
bool lmd_vocab_is_control(const lmd_vocab *v, int32_t id);
/* The stored token text (not decoded); empty view for an id out of range. */
lmd_str lmd_vocab_text(const lmd_vocab *v, int32_t id);

/* Tokenizes len bytes of text (any bytes: invalid UTF-8 and NUL are handled). add_special adds
 * BOS/EOS as the vocabulary asks; parse_special turns special-token text into the token.
 * *ids is malloc'd (caller frees), *n_ids its length. */
lmd_status lmd_tokenize(const lmd_vocab *v, const char *text, size_t len, bool add_special,
                        bool parse_special, int32_t **ids, int64_t *n_ids, lmd_err *err);

/* Writes the bytes of one token (llama_token_to_piece with lstrip 0): byte tokens become their
 * byte, SPM's U+2581 becomes a space, byte-level BPE is decoded; control tokens only when
 * `special`. Returns the number of bytes the piece has (may exceed cap: then nothing beyond
 * cap is written), or -1 for an id out of range. */
int64_t lmd_token_to_piece(const lmd_vocab *v, int32_t id, bool special, char *buf, size_t cap);

/* Joins the pieces of ids (llama_detokenize: remove_special, unparse_special; SPM leading
 * space handling as llama.cpp). *text is malloc'd and NUL-terminated. */
lmd_status lmd_detokenize(const lmd_vocab *v, const int32_t *ids, int64_t n_ids,
                          bool remove_special, bool unparse_special, char **text,
                          size_t *len, lmd_err *err);

/* Streaming detokenizer: feed ids one at a time, get the bytes that are complete UTF-8 so far
 * (a piece ending inside a sequence is held back until the sequence completes). Pieces are
 * llama_token_to_piece's; no clean-up pass (as llama.cpp's streaming). */
typedef struct {
    const lmd_vocab *vocab;
    bool first;          /* strip one leading space of the next piece when the vocabulary adds
                            a space prefix (llama_detokenize's first token); init: false, as a
                            generation continues a prompt (llama.cpp's server does not strip) */
    bool special;        /* render control tokens' text (init: false) */
    char pending[8];     /* an incomplete UTF-8 sequence carried to the next token */
    int n_pending;
} lmd_detok_stream;

void lmd_detok_stream_init(lmd_detok_stream *s, const lmd_vocab *v);
/* Appends the complete text of token id to out (cap bytes); returns bytes written, or the
 * bytes needed (> cap) in which case nothing was consumed. */
size_t lmd_detok_stream_push(lmd_detok_stream *s, int32_t id, char *out, size_t cap);
/* Flushes held bytes (at end of generation), replacing an incomplete sequence as-is. */
size_t lmd_detok_stream_flush(lmd_detok_stream *s, char *out, size_t cap);

#endif
