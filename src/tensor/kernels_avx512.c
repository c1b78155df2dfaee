/* kernels_avx512.c — AVX-512 path: the x86 kernels with VNNI byte dot products (bit-identical
 * to the AVX2 ones, fewer instructions). Built with the AVX-512 F/BW/VL/DQ/VNNI/BF16 flags;
 * only called after CPUID says the CPU has all of them. */
#define LMD_X86_VNNI 1
#define X86_NAME(f) avx512_##f
#include "tensor/kernels_x86.h"

void lmd_kernels_fill_avx512(lmd_type_traits *t) {
    avx512_fill(t);
}
