/* kernels_avx512.c — AVX-512 (F/BW/VL/DQ + VNNI + BF16) kernels. */
#include <immintrin.h>

#include "tensor/tensor_int.h"

void lmd_kernels_fill_avx512(lmd_type_traits *t) {
    (void)t;
}
