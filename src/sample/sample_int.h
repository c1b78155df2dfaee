/* sample_int.h — the sampler's stages on a candidate array, shared with the unit tests. */
#ifndef LMD_SAMPLE_INT_H
#define LMD_SAMPLE_INT_H

#include "sample/sample.h"

typedef struct {
    int32_t id;
    float logit;
    float p;
    float aux;    /* typical-p: |surprise - entropy| */
    int32_t pos;  /* typical-p: position before its sort (tie-break) */
} lmd_cand;

typedef struct {
    lmd_cand *c;
    int64_t n;
    bool sorted;  /* by logit, descending (ties: lowest id) */
} lmd_cands;

/* Sorts so the m best (logit desc, id asc) come first, in order; in place, no allocation. */
void lmd_cands_partial_sort(lmd_cands *a, int64_t m);
/* p = softmax(logit) over the candidates (sorting first when do_sort). */
void lmd_cands_softmax(lmd_cands *a, bool do_sort);

void lmd_stage_penalties(lmd_cands *a, const int32_t *count, const int32_t *recent, int64_t n_recent,
                         uint32_t *stamp, uint32_t mark, float repeat, float freq, float present);
void lmd_stage_top_k(lmd_cands *a, int32_t k);
void lmd_stage_top_p(lmd_cands *a, float p);
void lmd_stage_min_p(lmd_cands *a, float p);
void lmd_stage_typical(lmd_cands *a, float p, lmd_cand *tmp);
void lmd_stage_temperature(lmd_cands *a, float t);
/* Draws from softmax(logit) with the uniform number u in [0, 1). */
int32_t lmd_stage_draw(lmd_cands *a, double u);
/* Argmax, ties to the lowest id; -1 when nothing is finite. */
int32_t lmd_stage_greedy(const lmd_cands *a);

#endif
