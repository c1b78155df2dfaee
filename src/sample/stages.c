/* stages.c — the sampler stages with llama.cpp's semantics (llama-sampler.cpp at 0253fb21):
 * penalties, top-k, top-p, min-p, typical-p, temperature, the final draw and greedy. They work on
 * a candidate array in place and never allocate; ties in logit order go to the lowest id so
 * results do not depend on sort stability. */
#include <math.h>
#include <string.h>

#include "sample/sample_int.h"

static bool better(const lmd_cand *a, const lmd_cand *b) {
    return a->logit > b->logit || (a->logit == b->logit && a->id < b->id);
}

/* Typical-p order: smaller |surprise - entropy| first, then the earlier position. */
static bool typ_before(const lmd_cand *a, const lmd_cand *b) {
    return a->aux < b->aux || (a->aux == b->aux && a->pos < b->pos);
}

typedef bool (*cand_less)(const lmd_cand *, const lmd_cand *);

/* Heap whose root is the element that comes LAST in `before` order. */
static void sift_worst(lmd_cand *h, int64_t n, int64_t i, cand_less before) {
    lmd_cand x = h[i];
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && before(&h[c], &h[c + 1])) c++;  /* the later child */
        if (!before(&x, &h[c])) break;
        h[i] = h[c];
        i = c;
    }
    h[i] = x;
}

/* Moves the m first elements (in `before` order) to the front, sorted; the rest stay behind
 * in any order. A heap of the m best so far (worst at the root) scans the array, then is
 * heap-sorted. O(n log m), in place, no allocation. */
static void partial_sort(lmd_cand *c, int64_t n, int64_t m, cand_less before) {
    if (m > n) m = n;
    if (m < 1 || n < 2) return;
    for (int64_t i = m / 2 - 1; i >= 0; i--) sift_worst(c, m, i, before);
    for (int64_t i = m; i < n; i++) {
        if (!before(&c[i], &c[0])) continue;
        lmd_cand t = c[i];
        c[i] = c[0];
        c[0] = t;
        sift_worst(c, m, 0, before);
    }
    for (int64_t h = m; h > 1; h--) {
        lmd_cand t = c[0];
        c[0] = c[h - 1];
        c[h - 1] = t;
        sift_worst(c, h - 1, 0, before);
    }
}

void lmd_cands_partial_sort(lmd_cands *a, int64_t m) {
    if (a->sorted) return;
    partial_sort(a->c, a->n, m, better);
    if (m >= a->n) a->sorted = true;
}

void lmd_cands_softmax(lmd_cands *a, bool do_sort) {
    if (a->n <= 0) return;
    if (do_sort && !a->sorted) lmd_cands_partial_sort(a, a->n);
    float mx = a->c[0].logit;
    for (int64_t i = 1; i < a->n; i++) mx = fmaxf(mx, a->c[i].logit);
    double sum = 0;
    for (int64_t i = 0; i < a->n; i++) {
        float e = expf(a->c[i].logit - mx);
        a->c[i].p = e;
        sum += e;
    }
    for (int64_t i = 0; i < a->n; i++) a->c[i].p = (float)(a->c[i].p / sum);
}

void lmd_stage_penalties(lmd_cands *a, const int32_t *count, const int32_t *recent, int64_t n_recent,
                         uint32_t *stamp, uint32_t mark, float repeat, float freq, float present) {
    if (n_recent == 0 || (repeat == 1.0f && freq == 0.0f && present == 0.0f)) return;
    /* Candidates are still in id order (penalties run first): a->c[t].id == t. */
    for (int64_t i = 0; i < n_recent; i++) {
        int32_t t = recent[i];
        if (t < 0 || t >= a->n || stamp[t] == mark) continue;
        stamp[t] = mark;
        lmd_cand *c = &a->c[t];
        int32_t n = count[t];
        if (n <= 0) continue;
        /* llama.cpp: multiply non-positive logits, divide positive ones */
        if (c->logit <= 0) c->logit *= repeat;
        else c->logit /= repeat;
        c->logit -= (float)n * freq + (n > 0 ? present : 0.0f);
    }
    a->sorted = false;
}

void lmd_stage_top_k(lmd_cands *a, int32_t k) {
    if (k <= 0) return;
    if (k > a->n) k = (int32_t)a->n;
    if (!a->sorted) partial_sort(a->c, a->n, k, better);
    a->n = k;
    a->sorted = true;  /* the k kept are in order */
}

void lmd_stage_top_p(lmd_cands *a, float p) {
    if (p >= 1.0f || a->n <= 0) return;
    lmd_cands_softmax(a, false);
    /* sort lazily: the top 256 first, everything only when they do not reach p */
    int64_t k = a->sorted ? a->n : (a->n > 1024 ? 256 : a->n);
    if (!a->sorted) partial_sort(a->c, a->n, k, better);
    double cum = 0;
    int64_t last = a->n;
    for (int64_t i = 0; i < a->n; i++) {
        cum += a->c[i].p;
        if (cum >= p) {  /* min_keep 1: i + 1 >= 1 always */
            last = i + 1;
            break;
        }
        if (i == k - 1 && k < a->n) {
            /* positions 0..k-1 hold the k best; sort the rest behind them */
            lmd_cand *rest = a->c + k;
            partial_sort(rest, a->n - k, a->n - k, better);
            k = a->n;
        }
    }
    a->n = last;
    a->sorted = true;
}

void lmd_stage_min_p(lmd_cands *a, float p) {
    if (p <= 0.0f || a->n <= 0) return;
    float mx = a->c[0].logit;
    for (int64_t i = 1; i < a->n; i++) mx = fmaxf(mx, a->c[i].logit);
    float min_logit = mx + logf(p);  /* p_i >= p * p_max */
    int64_t w = 0;
    for (int64_t i = 0; i < a->n; i++)
        if (a->c[i].logit >= min_logit) a->c[w++] = a->c[i];
    a->n = w;  /* keeps the order, so a sorted array stays sorted */
}

void lmd_stage_typical(lmd_cands *a, float p, lmd_cand *tmp) {
    if (p >= 1.0f || a->n <= 0) return;
    lmd_cands_softmax(a, true);
    double ent = 0;
    for (int64_t i = 0; i < a->n; i++)
        if (a->c[i].p > 0) ent += -a->c[i].p * logf(a->c[i].p);
    for (int64_t i = 0; i < a->n; i++) {
        a->c[i].aux = fabsf(-logf(a->c[i].p) - (float)ent);
        a->c[i].pos = (int32_t)i;
    }
    memcpy(tmp, a->c, (size_t)a->n * sizeof *tmp);
    partial_sort(tmp, a->n, a->n, typ_before);
    double cum = 0;
    int64_t last = a->n;
    for (int64_t i = 0; i < a->n; i++) {
        cum += tmp[i].p;
        if (cum > p) {
            last = i + 1;
            break;
        }
    }
    memcpy(a->c, tmp, (size_t)last * sizeof *tmp);
    a->n = last;
    a->sorted = false;
}

void lmd_stage_temperature(lmd_cands *a, float t) {
    for (int64_t i = 0; i < a->n; i++) a->c[i].logit /= t;
}

int32_t lmd_stage_draw(lmd_cands *a, double u) {
    if (a->n <= 0) return -1;
    if (a->n == 1) return a->c[0].id;
    float mx = -INFINITY;
    for (int64_t i = 0; i < a->n; i++) mx = fmaxf(mx, a->c[i].logit);
    if (!isfinite(mx)) return lmd_stage_greedy(a);
    double sum = 0;
    for (int64_t i = 0; i < a->n; i++) {
        float e = expf(a->c[i].logit - mx);
        a->c[i].p = e;
        sum += e;
    }
    double target = u * sum, run = 0;
    for (int64_t i = 0; i < a->n; i++) {
        run += a->c[i].p;
        if (target < run) return a->c[i].id;
    }
    /* rounding left target at the very end: the last candidate with weight */
    for (int64_t i = a->n - 1; i >= 0; i--)
        if (a->c[i].p > 0) return a->c[i].id;
    return a->c[a->n - 1].id;
}

int32_t lmd_stage_greedy(const lmd_cands *a) {
    int32_t best = -1;
    float bl = -INFINITY;
    for (int64_t i = 0; i < a->n; i++) {
        float l = a->c[i].logit;
        if (isnan(l)) continue;
        if (best < 0 ? l > -INFINITY : (l > bl || (l == bl && a->c[i].id < best))) {
            best = a->c[i].id;
            bl = l;
        }
    }
    return best;
}
