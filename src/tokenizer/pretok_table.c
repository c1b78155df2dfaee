/* pretok_table.c — the pre-tokenizers: for every tokenizer.ggml.pre value llama.cpp knows (and
 * lmd supports), the PCRE2 regexes applied in order and the vocabulary flags the name implies.
 *
 * The regexes say exactly what llama.cpp's splitter does, which is not always what the
 * Hugging Face regex says:
 *  - \s is Unicode White_Space (llama.cpp's table), not PCRE2's \s (which lacks U+0085): WS.
 *  - where llama.cpp runs std::regex on its "collapsed" text, \p{S} does not contain '~' and
 *    \p{Lu}/\p{Ll}/... all mean \p{L}; where it runs std::wregex on literal ranges, whitespace
 *    code points never match a literal range (they were replaced by U+000B first).
 *  - $ is \z (ECMAScript's $ is end of input only).
 *  - the GPT-2 / Llama-3 / Qwen2 patterns are run by hand-written loops in llama.cpp; these
 *    regexes produce the same splits (contractions case-insensitive only for Llama-3/Qwen2,
 *    \p{N}{1,3} for Llama-3, a trailing \s+ alternative for GPT-2). */
#include <string.h>

#include "tokenizer/pretok.h"

#define WS "\\t-\\r\\x20\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}"
#define SP "[" WS "]"
#define NSP "[^" WS "]"
#define CONTR_CI "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"

/* 's|'t|... ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
#define RX_GPT2 "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^" WS "\\p{L}\\p{N}]+|" SP "+(?!" NSP ")|" SP "+"

#define RX_LLAMA3_BODY(NUM)                                                                      \
    CONTR_CI "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|" NUM "| ?[^" WS "\\p{L}\\p{N}]+[\\r\\n]*|" SP         \
    "*[\\r\\n]+|" SP "+(?!" NSP ")|" SP "+"
#define RX_LLAMA3 RX_LLAMA3_BODY("\\p{N}{1,3}")
#define RX_QWEN2 RX_LLAMA3_BODY("\\p{N}")

/* U+0800..U+4E00 without the White_Space code points in it (see the header comment). */
#define CJK_RANGES                                                                               \
    "\\x{4E00}-\\x{9FA5}\\x{0800}-\\x{167F}\\x{1681}-\\x{1FFF}\\x{200B}-\\x{2027}"               \
    "\\x{202A}-\\x{202E}\\x{2030}-\\x{205E}\\x{2060}-\\x{2FFF}\\x{3001}-\\x{4E00}"               \
    "\\x{AC00}-\\x{D7FF}"

static const lmd_pretok k_pretoks[] = {
    { "default", 0, { "[\\p{P}$+<=>^~|]+", RX_GPT2, "\\p{N}+", "[0-9][0-9][0-9]" }, 4 },
    { "llama3", LMD_PRE_IGNORE_MERGES | LMD_PRE_ADD_BOS, { RX_LLAMA3 }, 1 },
    { "deepseek-llm", LMD_PRE_NO_CLEAN,
      { "[\\r\\n]",
        SP "?[A-Za-z\\x{B5}\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{1BA}\\x{1BC}-\\x{1BF}"
        "\\x{1C4}-\\x{293}\\x{295}-\\x{2AF}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37B}-\\x{37D}"
        "\\x{37F}\\x{386}\\x{388}-\\x{38A}\\x{38C}\\x{38E}-\\x{3A1}\\x{3A3}-\\x{3F5}\\x{3F7}-"
        "\\x{481}\\x{48A}-\\x{52F}\\x{531}-\\x{556}\\x{10A0}-\\x{10C5}\\x{13A0}-\\x{13F5}"
        "\\x{13F8}-\\x{13FD}\\x{1C90}-\\x{1CBA}\\x{1CBD}-\\x{1CBF}\\x{1D00}-\\x{1D2B}\\x{1D6B}-"
        "\\x{1D77}\\x{1D79}-\\x{1D9A}\\x{1E00}-\\x{1F15}\\x{1F18}-\\x{1F1D}\\x{1F20}-\\x{1F45}"
        "\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}\\x{1F59}\\x{1F5B}\\x{1F5D}\\x{1F5F}-\\x{1F7D}"
        "\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-\\x{1FC4}\\x{1FC6}-\\x{1FCC}"
        "\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}\\x{1FF2}-\\x{1FF4}\\x{1FF6}-"
        "\\x{1FFC}\\x{2102}\\x{2107}\\x{210A}-\\x{2113}\\x{2115}\\x{2119}-\\x{211D}\\x{2124}"
        "\\x{2126}\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}\\x{2139}\\x{213C}-\\x{213F}"
        "\\x{2145}-\\x{2149}\\x{214E}\\x{2183}\\x{2184}\\x{2C00}-\\x{2C7B}\\x{2C7E}-\\x{2CE4}"
        "\\x{2CEB}-\\x{2CEE}\\x{2CF2}\\x{2CF3}\\x{A640}-\\x{A66D}\\x{A680}-\\x{A69B}\\x{A722}-"
        "\\x{A76F}\\x{A771}-\\x{A787}\\x{A78B}-\\x{A78E}\\x{AB70}-\\x{ABBF}\\x{FB00}-\\x{FB06}"
        "\\x{FB13}-\\x{FB17}\\x{FF21}-\\x{FF3A}\\x{FF41}-\\x{FF5A}\\x{10400}-\\x{1044F}"
        "\\x{104B0}-\\x{104D3}\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}\\x{10CC0}-\\x{10CF2}"
        "\\x{118A0}-\\x{118DF}\\x{1E900}-\\x{1E943}]+",
        SP "?[!-/:-~\\x{FF01}-\\x{FF0F}\\x{FF1A}-\\x{FF5E}\\x{2018}-\\x{201F}\\x{3001}-\\x{3002}]+",
        SP "+\\z",
        "[" CJK_RANGES "]+",
        "\\p{N}+" }, 6 },
    { "deepseek-coder", LMD_PRE_NO_CLEAN,
      { "[\\r\\n]", SP "?\\p{L}+", SP "?\\p{P}+", "[" CJK_RANGES "]+", "\\p{N}" }, 5 },
    { "deepseek-v3", LMD_PRE_NO_CLEAN,
      { "\\p{N}{1,3}", "[\\x{4E00}-\\x{9FA5}\\x{3040}-\\x{309F}\\x{30A0}-\\x{30FF}]+",
        "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|(?:~|[^\\r\\n\\p{L}\\p{P}\\p{S}])?"
        "[\\p{L}\\p{M}]+| ?(?:(?!~)[\\p{P}\\p{S}])+[\\r\\n]*|" SP "*[\\r\\n]+|" SP "+(?!" NSP
        ")|" SP "+" }, 3 },
    { "falcon", 0, { "[\\p{P}$+<=>^~|`]+", RX_GPT2, "[0-9][0-9][0-9]" }, 3 },
    { "starcoder", 0, { "\\p{N}", RX_GPT2 }, 2 },
    { "gpt-2", 0, { RX_GPT2 }, 1 },
    { "qwen2", LMD_PRE_NO_CLEAN, { RX_QWEN2 }, 1 },
    { "qwen35", LMD_PRE_NO_CLEAN,
      { CONTR_CI "|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^" WS
        "\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|" SP "*[\\r\\n]+|" SP "+(?!" NSP ")|" SP "+" }, 1 },
    { "bloom", 0, { " ?[^(" WS "|.,!?\\x{2026}\\x{3002}\\x{FF0C}\\x{3001}\\x{964}\\x{6D4}\\x{60C})]+" }, 1 },
    { "viking", LMD_PRE_NO_CLEAN,
      { " ?[^(" WS "|.,!?\\x{2026}\\x{3002}\\x{FF0C}\\x{3001}\\x{964}\\x{6D4}\\x{60C})]+", "\\p{N}" }, 2 },
    { "gpt-4o", LMD_PRE_NO_CLEAN,
      { "[^\\r\\n\\p{L}\\p{N}]?(?:(?=\\p{L})[^a-z])*(?:(?=\\p{L})[^A-Z])+" "(?:" CONTR_CI ")?"
        "|[^\\r\\n\\p{L}\\p{N}]?(?:(?=\\p{L})[^a-z])+(?:(?=\\p{L})[^A-Z])*" "(?:" CONTR_CI ")?"
        "|\\p{N}{1,3}| ?[^" WS "\\p{L}\\p{N}]+[\\r\\n/]*|" SP "*[\\r\\n]+|" SP "+(?!" NSP ")|" SP "+" }, 1 },
    { "tekken", LMD_PRE_NO_CLEAN | LMD_PRE_IGNORE_MERGES | LMD_PRE_ADD_BOS,
      { "[^\\r\\n\\p{L}\\p{N}]?(?:(?=\\p{L})[^a-z])*(?:(?=\\p{L})[^A-Z])+"
        "|[^\\r\\n\\p{L}\\p{N}]?(?:(?=\\p{L})[^a-z])+(?:(?=\\p{L})[^A-Z])*"
        "|\\p{N}| ?[^" WS "\\p{L}\\p{N}]+[\\r\\n/]*|" SP "*[\\r\\n]+|" SP "+(?!" NSP ")|" SP "+" }, 1 },
    { "seed-coder", LMD_PRE_NO_CLEAN,
      { CONTR_CI "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^" WS "\\p{L}\\p{N}\\r\\n]+|" SP
        "*[\\r\\n]+|" SP "+(?!" NSP ")|" SP "+" }, 1 },
    { "bailingmoe", LMD_PRE_NO_CLEAN,
      { "'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^" WS
        "\\p{L}\\p{N}]+[\\r\\n]*|" SP "*[\\r\\n]|" SP "+(?!" NSP ")|" SP "+" }, 1 },
};

/* Every name llama.cpp accepts that lmd supports, with the table entry it uses and the flags
 * the name adds on top of the entry's. */
static const struct {
    const char *name, *entry;
    unsigned flags;  /* replaces the entry's flags when nonzero */
} k_names[] = {
    { "default", "default", 0 },
    { "llama3", "llama3", 0 }, { "llama-v3", "llama3", 0 }, { "llama-bpe", "llama3", 0 },
    { "falcon3", "llama3", 0 }, { "falcon-h1", "llama3", 0 }, { "pixtral", "llama3", 0 },
    { "midm-2.0", "llama3", 0 }, { "lfm2", "llama3", 0 }, { "jina-v5-nano", "llama3", 0 },
    { "dbrx", "llama3", LMD_PRE_PLAIN }, { "smaug-bpe", "llama3", LMD_PRE_PLAIN },
    { "chatglm-bpe", "llama3", LMD_PRE_PLAIN | LMD_PRE_NO_BOS },
    { "glm4", "llama3", LMD_PRE_PLAIN | LMD_PRE_NO_BOS },
    { "deepseek-llm", "deepseek-llm", 0 },
    { "deepseek-coder", "deepseek-coder", 0 },
    { "deepseek-v3", "deepseek-v3", 0 }, { "hunyuan-dense", "deepseek-v3", 0 },
    { "joyai-llm", "deepseek-v3", 0 },
    { "falcon", "falcon", 0 },
    { "mpt", "gpt-2", 0 }, { "olmo", "gpt-2", 0 }, { "jais", "gpt-2", 0 },
    /* not a llama.cpp name (its GPT-NeoX files carry no pre key, which means "default"); lmd
     * accepts it for the GPT-NeoX tokenizer, whose pre-tokenizer is GPT-2's */
    { "gpt-neox", "gpt-2", 0 },
    { "trillion", "gpt-2", LMD_PRE_NO_CLEAN }, { "granite-docling", "gpt-2", LMD_PRE_NO_CLEAN },
    { "gpt-2", "gpt-2", 0 }, { "phi-2", "gpt-2", 0 }, { "jina-es", "gpt-2", 0 },
    { "jina-de", "gpt-2", 0 }, { "gigachat", "gpt-2", 0 }, { "jina-v2-es", "gpt-2", 0 },
    { "jina-v2-de", "gpt-2", 0 }, { "a.x-4.0", "gpt-2", 0 }, { "mellum", "gpt-2", 0 },
    { "modern-bert", "gpt-2", 0 }, { "exaone4", "gpt-2", 0 },
    { "jina-v1-en", "gpt-2", LMD_PRE_ADD_SEP }, { "jina-v2-code", "gpt-2", LMD_PRE_ADD_SEP },
    { "roberta-bpe", "gpt-2", LMD_PRE_ADD_SEP },
    { "starcoder", "starcoder", 0 }, { "refact", "starcoder", 0 },
    { "command-r", "starcoder", LMD_PRE_NO_CLEAN }, { "smollm", "starcoder", LMD_PRE_NO_CLEAN },
    { "codeshell", "starcoder", 0 }, { "exaone", "starcoder", 0 }, { "minerva-7b", "starcoder", 0 },
    { "qwen2", "qwen2", 0 }, { "deepseek-r1-qwen", "qwen2", 0 }, { "kormo", "qwen2", 0 },
    { "f2llmv2", "qwen2", 0 }, { "stablelm2", "qwen2", LMD_PRE_PLAIN },
    { "megrez", "qwen2", LMD_PRE_PLAIN }, { "hunyuan", "qwen2", 0 }, { "grok-2", "qwen2", 0 },
    { "solar-open", "qwen2", 0 },
    { "qwen35", "qwen35", 0 },
    { "poro-chat", "bloom", LMD_PRE_NO_CLEAN }, { "bloom", "bloom", 0 },
    { "gpt3-finnish", "bloom", 0 }, { "viking", "viking", 0 },
    { "gpt-4o", "gpt-4o", 0 }, { "llama4", "gpt-4o", 0 }, { "kanana2", "gpt-4o", 0 },
    { "minimax-m2", "gpt-4o", 0 },
    { "tekken", "tekken", 0 },
    { "seed-coder", "seed-coder", 0 },
    { "bailingmoe", "bailingmoe", 0 }, { "bailingmoe2", "bailingmoe", 0 },
    { "llada-moe", "bailingmoe", 0 },
};

const lmd_pretok *lmd_pretok_lookup(const char *name, unsigned *flags) {
    for (size_t i = 0; i < sizeof k_names / sizeof k_names[0]; i++) {
        if (strcmp(k_names[i].name, name) != 0) continue;
        for (size_t j = 0; j < sizeof k_pretoks / sizeof k_pretoks[0]; j++) {
            if (strcmp(k_pretoks[j].name, k_names[i].entry) != 0) continue;
            unsigned f = k_names[i].flags;
            *flags = (f == 0) ? k_pretoks[j].flags : (f & ~LMD_PRE_PLAIN);
            return &k_pretoks[j];
        }
    }
    return NULL;
}

const lmd_pretok *lmd_pretok_at(size_t i) {
    return i < sizeof k_pretoks / sizeof k_pretoks[0] ? &k_pretoks[i] : NULL;
}
