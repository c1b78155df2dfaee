/* kernels_avx2.c — AVX2 + FMA + F16C kernels. */
#include <immintrin.h>

#include "tensor/tensor_int.h"

void lmd_kernels_fill_avx2(lmd_type_traits *t) {
    (void)t;
}
