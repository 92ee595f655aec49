#!/usr/bin/env bash
# The shared libraries' surface: every exported name carries the cllm_ or pm_ prefix (internal ones such as
# layernorm_forward_f32, tok_build, data_source_new stay hidden), the public functions are there, and each library
# has its soname (lib*.so.MAJOR, MAJOR from the VERSION file); the CLIs print the VERSION file's version.
set -euo pipefail
BUILD=${BUILD:-build}
fail() { echo "FAIL: $*" >&2; exit 1; }
version=$(cat VERSION)
for lib in libcllm libprimemath; do
  so="$BUILD/$lib.so"
  [ -f "$so" ] || fail "$so not built"
  names=$(nm -D --defined-only "$so" | awk '{print $3}')
  bad=$(grep -v -E '^(cllm_|pm_)' <<<"$names" || true)
  [ -z "$bad" ] || fail "$lib exports names without the cllm_/pm_ prefix: $(echo $bad)"
  soname=$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
  [ "$soname" = "$lib.so.${version%%.*}" ] || fail "$lib soname '$soname', expected $lib.so.${version%%.*}"
  [ -f "$BUILD/$lib.so.$version" ] || fail "$BUILD/$lib.so.$version missing"
done
cllm_names=$(nm -D --defined-only "$BUILD/libcllm.so" | awk '{print $3}')
pm_names=$(nm -D --defined-only "$BUILD/libprimemath.so" | awk '{print $3}')
for f in cllm_model_new cllm_model_forward cllm_tokenizer_encode cllm_safetensors_open cllm_sgemm; do
  grep -qx "$f" <<<"$cllm_names" || fail "libcllm does not export $f"
done
for f in pm_is_prime pm_ulam_xy pm_version cllm_error_set cllm_version; do
  grep -qx "$f" <<<"$pm_names" || fail "libprimemath does not export $f"
done
for f in layernorm_forward_f32 cllm_model_set_head_rows cllm_param_sizes; do  # internal: hidden
  if grep -qx "$f" <<<"$cllm_names"; then fail "libcllm exports the internal $f"; fi
done
[ "$("$BUILD/cllm" --version)" = "cllm $version" ] || fail "cllm --version: $("$BUILD/cllm" --version)"
[ "$("$BUILD/primemath" --version)" = "primemath $version" ] || fail "primemath --version: $("$BUILD/primemath" --version)"
# every public header compiles as C++ (the extern "C" guards) and its functions link with C names
if command -v g++ >/dev/null; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  { for h in include/*.h; do echo "#include \"$(basename "$h")\""; done
    echo 'int main() { return cllm_version() == nullptr || pm_version() == nullptr; }'; } >"$tmp/all.cpp"
  san=""; case "$BUILD" in *san*) san="-fsanitize=address,undefined" ;; esac  # the libraries carry ASan there
  g++ -std=c++11 $san -Iinclude "$tmp/all.cpp" -o "$tmp/all" -L"$BUILD" -lcllm -lprimemath || fail "headers as C++"
  LD_LIBRARY_PATH="$BUILD" "$tmp/all" || fail "C++ program linked against the libraries"
fi
echo "exports ok"
