#!/usr/bin/env bash
# Builds moeplan-profile and libmoeplan_cupti_inject.so without CMake, for a bare GPU machine
# that has only the CUDA toolkit (nvcc, cuBLAS, CUPTI headers), a C++20 g++ and nlohmann's
# headers. The CMake build (profiler/CMakeLists.txt) is the reference; this mirrors it.
#
#   profiler/scripts/build_standalone.sh OUT_DIR NLOHMANN_INCLUDE_DIR [CUDA_HOME]
#
# Environment: JOBS (parallel compiles, default nproc), CUDA_ARCHS (default "80 90").
set -euo pipefail

out=${1:?usage: build_standalone.sh OUT_DIR NLOHMANN_INCLUDE_DIR [CUDA_HOME]}
nlohmann=${2:?usage: build_standalone.sh OUT_DIR NLOHMANN_INCLUDE_DIR [CUDA_HOME]}
cuda=${3:-${CUDA_HOME:-/usr/local/cuda}}
root=$(cd "$(dirname "$0")/../.." && pwd)
jobs=${JOBS:-$(nproc)}
archs=${CUDA_ARCHS:-"80 90"}

[[ -f "$nlohmann/nlohmann/json.hpp" ]] || { echo "no nlohmann/json.hpp under $nlohmann" >&2; exit 2; }
[[ -x "$cuda/bin/nvcc" ]] || { echo "no nvcc under $cuda/bin" >&2; exit 2; }
cupti_include=$cuda/include
[[ -f "$cupti_include/cupti.h" ]] || cupti_include=$cuda/extras/CUPTI/include
cupti_lib=$(ls "$cuda"/lib64/libcupti.so "$cuda"/extras/CUPTI/lib64/libcupti.so \
                "$cuda"/lib/libcupti.so 2>/dev/null | head -1 || true)
cuda_lib=$(dirname "$(ls "$cuda"/lib64/libcublas.so "$cuda"/lib/libcublas.so 2>/dev/null | head -1)")

mkdir -p "$out/obj"
out=$(cd "$out" && pwd)
includes=(-I"$root" -I"$nlohmann" -I"$cuda/include" -I"$cupti_include")
defines=(-DMOEPLAN_CUPTI_DEFAULT_DIR=\"$(dirname "${cupti_lib:-/}")\"
         -DMOEPLAN_INJECT_LIBRARY=\"$out/libmoeplan_cupti_inject.so\"
         -DMOEPLAN_CUPTI_LIBRARY=\"${cupti_lib}\")
cxxflags=(-std=c++20 -O2 -fPIC -fvisibility=hidden -fvisibility-inlines-hidden -Wall -Wextra "${includes[@]}" "${defines[@]}")
gencode=()
for arch in $archs; do gencode+=(-gencode "arch=compute_$arch,code=sm_$arch"); done
last=${archs##* }
gencode+=(-gencode "arch=compute_$last,code=compute_$last")

cd "$root"
core=(profiler/core/*.cc profiler/core/internal/*.cc)
loader=(profiler/cupti_loader.cc profiler/cupti_records.cc)
profiler=(profiler/attention.cc profiler/cupti_session.cc profiler/device_info.cc profiler/gemm.cc
          profiler/internal/workload_parts.cc profiler/nvml_loader.cc profiler/runner.cc
          profiler/workloads.cc profiler/workloads_moe.cc)
kernels=(profiler/kernels/*.cu)

# One shell command per source, run $jobs at a time.
commands=$out/compile_commands.sh
: > "$commands"
for source in "${core[@]}" "${loader[@]}" "${profiler[@]}" profiler/inject/cupti_inject.cc \
              profiler/tools/moeplan_profile_main.cc; do
  printf '%q ' g++ "${cxxflags[@]}" -c "$source" -o "$out/obj/${source//\//_}.o" >> "$commands"
  echo >> "$commands"
done
for source in "${kernels[@]}"; do
  printf '%q ' "$cuda/bin/nvcc" -std=c++17 -O2 -Xcompiler=-fPIC --expt-relaxed-constexpr \
    "${gencode[@]}" "${includes[@]}" -c "$source" -o "$out/obj/${source//\//_}.o" >> "$commands"
  echo >> "$commands"
done
echo "compiling $(wc -l < "$commands") files with $jobs jobs (CUDA archs: $archs)"
tr '\n' '\0' < "$commands" | xargs -0 -P "$jobs" -n 1 bash -c

obj() { for f in "$@"; do echo "$out/obj/${f//\//_}.o"; done; }
g++ -shared -o "$out/libmoeplan_cupti_inject.so" $(obj profiler/inject/cupti_inject.cc) \
  $(obj "${loader[@]}") $(obj "${core[@]}") -Wl,--exclude-libs,ALL -ldl -lpthread
g++ -o "$out/moeplan-profile" $(obj profiler/tools/moeplan_profile_main.cc) \
  $(obj "${profiler[@]}") $(obj "${kernels[@]}") $(obj "${loader[@]}") $(obj "${core[@]}") \
  -L"$cuda_lib" -Wl,-rpath,"$cuda_lib" -lcublas -lcublasLt -lcudart_static -ldl -lpthread -lrt
echo "built $out/moeplan-profile and $out/libmoeplan_cupti_inject.so"
