/* kernels_avx2.c — AVX2 + FMA + F16C kernels (the bodies are in kernels_x86.h). Built with
 * -mavx2 -mfma -mf16c; only called after CPUID says the CPU has them. */
#define LMD_X86_VNNI 0
#define X86_NAME(f) avx2_##f
#include "tensor/kernels_x86.h"

void lmd_kernels_fill_avx2(lmd_type_traits *t) {
    avx2_fill(t);
}
