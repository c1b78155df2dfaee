/* test_tokenizer_json.c — the JSON files in ../shared/golden/tokenizer (llama.cpp at 0253fb21): for every
 * vocabulary and model file, every text tokenized with and without BOS/EOS (special parsing on)
 * gives the reference ids, every id's piece (llama_token_to_piece, special=true) its bytes, and
 * the detokenized text (remove_special=false, unparse_special=true) the reference bytes. On
 * byte-level BPE vocabularies the pieces of tokenize(x) join to x again for every valid UTF-8
 * text (llama_detokenize's clean-up pass, which drops spaces before punctuation, is left out:
 * it is lossy by design). */
#include <dirent.h>
#include <jansson.h>
#include <string.h>

#include "gguf/gguf.h"
#include "t.h"
#include "tokenizer/tokenizer.h"

static size_t unhex(const char *h, char *out) {
    size_t n = strlen(h) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned x;
        sscanf(h + 2 * i, "%2x", &x);
        out[i] = (char)x;
    }
    return n;
}

/* Finds the GGUF a golden file names, in vocab/, golden/models/ or models/. */
static bool find_model(const char *file, char *path, size_t cap) {
    char stem[256];
    snprintf(stem, sizeof stem, "models/%s", file);
    char *dot = strrchr(stem, '.');
    if (dot) *dot = 0;
    const char *dirs[] = { "vocab", "golden/models", "models", stem };
    for (int i = 0; i < 4; i++) {
        snprintf(path, cap, "%s/%s", t_shared(dirs[i]), file);
        FILE *f = fopen(path, "rb");
        if (f) {
            fclose(f);
            return true;
        }
    }
    return false;
}

static int check_case(const lmd_vocab *v, const char *fname, int ci, const char *text, size_t tl,
                      json_t *exp, bool add_special) {
    int bad = 0;
    int32_t *ids = NULL;
    int64_t n = 0;
    lmd_err err = { 0 };
    if (lmd_tokenize(v, text, tl, add_special, true, &ids, &n, &err) != LMD_OK) {
        T_FAILF("%s case %d: %s", fname, ci, err.msg);
        return 1;
    }
    json_t *eids = json_object_get(exp, "ids"), *epieces = json_object_get(exp, "pieces_hex");
    bool same = (int64_t)json_array_size(eids) == n;
    for (int64_t i = 0; same && i < n; i++) same = json_integer_value(json_array_get(eids, (size_t)i)) == ids[i];
    if (!same) {
        char got[4096] = "", want[4096] = "";
        size_t gl = 0, wl = 0;
        for (int64_t i = 0; i < n && gl < 4000; i++) gl += (size_t)snprintf(got + gl, sizeof got - gl, " %d", ids[i]);
        for (size_t i = 0; i < json_array_size(eids) && wl < 4000; i++)
            wl += (size_t)snprintf(want + wl, sizeof want - wl, " %lld", json_integer_value(json_array_get(eids, i)));
        T_FAILF("%s case %d add_special=%d ids\n    want:%s\n    got: %s", fname, ci, add_special, want, got);
        bad++;
    }
    /* pieces and detokenization of the reference ids */
    size_t ne = json_array_size(eids);
    int32_t *rid = malloc((ne + 1) * sizeof *rid);
    for (size_t i = 0; i < ne; i++) {
        rid[i] = (int32_t)json_integer_value(json_array_get(eids, i));
        char want[1024], got[1024];
        size_t wl = unhex(json_string_value(json_array_get(epieces, i)), want);
        int64_t gl = lmd_token_to_piece(v, rid[i], true, got, sizeof got);
        if (gl != (int64_t)wl || memcmp(want, got, wl) != 0) {
            if (bad < 3) T_FAILF("%s case %d piece of %d differs (%lld vs %zu bytes)", fname, ci, rid[i], (long long)gl, wl);
            bad++;
        }
    }
    char *det = NULL;
    size_t dl = 0;
    if (lmd_detokenize(v, rid, (int64_t)ne, false, true, &det, &dl, &err) != LMD_OK) {
        T_FAILF("%s case %d detokenize: %s", fname, ci, err.msg);
        bad++;
    } else {
        const char *dh = json_string_value(json_object_get(exp, "detokenized_hex"));
        char *want = malloc(strlen(dh) / 2 + 1);
        size_t wl = unhex(dh, want);
        if (wl != dl || memcmp(want, det, dl) != 0) {
            T_FAILF("%s case %d add_special=%d detokenized differs: want %s", fname, ci, add_special, dh);
            bad++;
        }
        free(want);
    }
    /* round trip on byte-level BPE: our own ids must decode to the text */
    if (lmd_vocab_kind_of(v) == LMD_VOCAB_BPE && !add_special && lmd_utf8_valid(text, tl)) {
        char *rt = malloc(tl + 64);
        size_t rl = 0;
        bool ok = true;
        for (int64_t i = 0; ok && i < n; i++) {
            int64_t pl = lmd_token_to_piece(v, ids[i], true, rt + rl, tl + 64 - rl);
            ok = pl >= 0 && rl + (size_t)pl <= tl;
            rl += ok ? (size_t)pl : 0;
        }
        if (!ok || rl != tl || memcmp(rt, text, tl) != 0) {
            T_FAILF("%s case %d: pieces do not join to the text", fname, ci);
            bad++;
        }
        free(rt);
    }
    free(det);
    free(rid);
    free(ids);
    return bad;
}

T_TEST(golden_tokenizer_json) {
    DIR *d = opendir(t_shared("golden/tokenizer"));
    if (!d) T_SKIP("no ../shared/golden/tokenizer");
    struct dirent *de;
    int files = 0, cases = 0, bad = 0;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 5, ".json") != 0) continue;
        char jp[8192], mp[8192];
        snprintf(jp, sizeof jp, "%s/%s", t_shared("golden/tokenizer"), de->d_name);
        json_error_t je;
        json_t *root = json_load_file(jp, 0, &je);
        if (!root) {
            T_FAILF("%s: %s", jp, je.text);
            bad++;
            continue;
        }
        const char *file = json_string_value(json_object_get(root, "file"));
        if (!file || !find_model(file, mp, sizeof mp)) {
            T_FAILF("%s: model %s not found", de->d_name, file ? file : "?");
            json_decref(root);
            bad++;
            continue;
        }
        lmd_gguf *g = NULL;
        lmd_vocab *v = NULL;
        lmd_err err = { 0 };
        if (lmd_gguf_open(mp, NULL, &g, &err) != LMD_OK || lmd_vocab_load(g, &v, &err) != LMD_OK) {
            T_FAILF("%s: %s", file, err.msg);
            lmd_gguf_close(g);
            json_decref(root);
            bad++;
            continue;
        }
        lmd_gguf_close(g);
        files++;
        int fb = 0;
        T_EQ_INT(lmd_vocab_n_tokens(v), json_integer_value(json_object_get(root, "n_vocab")));
        T_EQ_INT(lmd_vocab_bos(v), json_integer_value(json_object_get(root, "bos")));
        T_EQ_INT(lmd_vocab_eos(v), json_integer_value(json_object_get(root, "eos")));
        T_EQ_INT(lmd_vocab_eot(v), json_integer_value(json_object_get(root, "eot")));
        T_EQ_INT(lmd_vocab_add_bos(v), json_is_true(json_object_get(root, "add_bos")));
        T_EQ_INT(lmd_vocab_add_eos(v), json_is_true(json_object_get(root, "add_eos")));
        T_EQ_INT(lmd_vocab_kind_of(v), json_integer_value(json_object_get(root, "vocab_type")));
        json_t *cs = json_object_get(root, "cases");
        for (size_t i = 0; i < json_array_size(cs); i++) {
            json_t *c = json_array_get(cs, i);
            const char *th = json_string_value(json_object_get(c, "text_hex"));
            char *text = malloc(strlen(th) / 2 + 1);
            size_t tl = unhex(th, text);
            fb += check_case(v, file, (int)i, text, tl, json_object_get(c, "add_special"), true);
            fb += check_case(v, file, (int)i, text, tl, json_object_get(c, "no_special"), false);
            free(text);
            cases++;
        }
        printf("  %-32s %s\n", de->d_name, fb ? "MISMATCH" : "ok");
        bad += fb;
        lmd_vocab_free(v);
        json_decref(root);
    }
    closedir(d);
    printf("  %d files, %d texts, %d mismatches\n", files, cases, bad);
    T_CHECK(files >= 30);
    T_EQ_INT(bad, 0);
}
