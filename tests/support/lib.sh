# lib.sh — what the shell tests share. A test starts `set -…` and then `. "$(dirname "$0")/../support/lib.sh"`:
#   CLLM           the binary under test (default $BUILD/cllm, BUILD default build)
#   tmp            a temporary folder, removed when the script exits (a script that needs more at exit sets its own
#                  trap, removing "$tmp" too)
#   fail MSG       prints FAIL: MSG on stderr and exits 1 (a script that counts its failures defines its own)
#   cat_text DIR N [LINES]   N documents DIR/doc1.txt… of LINES lines (default 30) of a small regular language:
#                  "the cat D sat on the mat I. the dog ran to the cat." (~53 bytes a line)
CLLM=${CLLM:-${BUILD:-build}/cllm}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cat_text() {
  local dir=$1 docs=$2 lines=${3:-30} d i
  mkdir -p "$dir"
  for d in $(seq 1 "$docs"); do
    for i in $(seq 1 "$lines"); do echo "the cat $d sat on the mat $i. the dog ran to the cat."; done >"$dir/doc$d.txt"
  done
}
