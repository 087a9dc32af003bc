// cuBLAS GEMM latency over an (m, n, k) grid, written as a gemm_perf CSV in the column layout of
// shared/data/gpu/aiconfigurator_csv/<gpu>/gemm/<framework>/<version>/gemm_perf.csv.gz (latency in ms), so
// sim/timing reads it like the AIConfigurator tables. Y[m x n] = X[m x k] W^T, bf16 in/out, fp32 accumulate
// (what torch.nn.functional.linear runs). Each point: 5 warm-up runs, then the median of 20 CUDA-event timings
// of 10 back-to-back launches.
// Usage: dynosim_gemm_bench OUT.csv [framework version]
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#define CHECK_CUDA(x)                                                                        \
    do {                                                                                     \
        cudaError_t e_ = (x);                                                                \
        if (e_ != cudaSuccess) {                                                             \
            std::fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, cudaGetErrorString(e_)); \
            std::exit(1);                                                                    \
        }                                                                                    \
    } while (0)
#define CHECK_CUBLAS(x)                                                               \
    do {                                                                              \
        cublasStatus_t s_ = (x);                                                      \
        if (s_ != CUBLAS_STATUS_SUCCESS) {                                            \
            std::fprintf(stderr, "%s:%d: cuBLAS status %d\n", __FILE__, __LINE__, (int)s_); \
            std::exit(1);                                                             \
        }                                                                             \
    } while (0)

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s OUT.csv [framework version]\n", argv[0]);
        return 2;
    }
    const std::string framework = argc > 2 ? argv[2] : "cuBLAS";
    const std::string version = argc > 3 ? argv[3] : std::to_string(CUBLAS_VERSION);
    cudaDeviceProp prop{};
    CHECK_CUDA(cudaGetDeviceProperties(&prop, 0));
    const std::vector<long> ms = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384};
    const std::vector<long> nks = {128, 256, 512, 1024, 2048, 4096, 6144, 8192, 12288, 16384};
    const long max_m = ms.back(), max_nk = nks.back();
    __nv_bfloat16 *x = nullptr, *w = nullptr, *y = nullptr;
    CHECK_CUDA(cudaMalloc(&x, sizeof(__nv_bfloat16) * max_m * max_nk));
    CHECK_CUDA(cudaMalloc(&w, sizeof(__nv_bfloat16) * max_nk * max_nk));
    CHECK_CUDA(cudaMalloc(&y, sizeof(__nv_bfloat16) * max_m * max_nk));
    CHECK_CUDA(cudaMemset(x, 0, sizeof(__nv_bfloat16) * max_m * max_nk));
    CHECK_CUDA(cudaMemset(w, 0, sizeof(__nv_bfloat16) * max_nk * max_nk));
    cublasHandle_t h;
    CHECK_CUBLAS(cublasCreate(&h));
    cudaEvent_t start, stop;
    CHECK_CUDA(cudaEventCreate(&start));
    CHECK_CUDA(cudaEventCreate(&stop));
    FILE* out = std::fopen(argv[1], "w");
    if (!out) {
        std::perror(argv[1]);
        return 1;
    }
    std::fprintf(out, "framework,version,device,op_name,kernel_source,gemm_dtype,m,n,k,latency\n");
    const float alpha = 1.0f, beta = 0.0f;
    for (const long m : ms)
        for (const long n : nks)
            for (const long k : nks) {
                // Column-major cuBLAS: Y^T[n x m] = W[n x k] X^T[k x m].
                auto run = [&] {
                    CHECK_CUBLAS(cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, (int)n, (int)m, (int)k, &alpha, w, CUDA_R_16BF,
                                              (int)k, x, CUDA_R_16BF, (int)k, &beta, y, CUDA_R_16BF, (int)n,
                                              CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
                };
                for (int i = 0; i < 5; ++i) run();
                std::vector<float> samples;
                for (int r = 0; r < 20; ++r) {
                    CHECK_CUDA(cudaEventRecord(start));
                    for (int i = 0; i < 10; ++i) run();
                    CHECK_CUDA(cudaEventRecord(stop));
                    CHECK_CUDA(cudaEventSynchronize(stop));
                    float t = 0;
                    CHECK_CUDA(cudaEventElapsedTime(&t, start, stop));
                    samples.push_back(t / 10);
                }
                std::nth_element(samples.begin(), samples.begin() + 10, samples.end());
                std::fprintf(out, "%s,%s,%s,gemm,cublasGemmEx,bfloat16,%ld,%ld,%ld,%.9g\n", framework.c_str(),
                             version.c_str(), prop.name, m, n, k, samples[10]);
            }
    std::fclose(out);
    cublasDestroy(h);
    return 0;
}
