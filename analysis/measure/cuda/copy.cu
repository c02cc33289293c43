// Device-to-device copy with float4 (16-byte) loads and stores in a grid-stride loop.
// Bytes moved per call = 2 x the array's bytes (one read, one write).

extern "C" __global__ void copy_f4(const float4* __restrict__ src,
                                   float4* __restrict__ dst,
                                   unsigned long long n4) {
    const unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
         i < n4; i += stride) {
        __stcs(dst + i, __ldcs(src + i));
    }
}
