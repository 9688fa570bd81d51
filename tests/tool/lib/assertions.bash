# The set-up, assertions and verdict the end-to-end tool tests (tests/tool/*.sh) share. A script sources
# this, calls `start_tool_test NAME "$@"`, runs its checks and ends with `finish_tool_test`. Each check prints
# "ok    NAME" or "FAIL  NAME (…)" and failures are counted in FAILS. Commands run in the test's temporary
# directory with their stdout in out.txt and stderr in err.txt.

# start_tool_test NAME EQR_PATH: EQR becomes the absolute path of the tool (which must be executable), WORK a
# temporary directory that is removed on exit and made the current directory, and FAILS 0.
start_tool_test() {
  local name=$1
  EQR=${2:?usage: $name.sh /path/to/eqr}
  [ -x "$EQR" ] || { echo "$name.sh: '$EQR' is not an executable"; exit 1; }
  EQR="$(cd "$(dirname "$EQR")" && pwd)/$(basename "$EQR")"
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/eqr_$name.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
  cd "$WORK" || exit 1
  FAILS=0
}

# finish_tool_test: the verdict — exits 0 when no check failed, 1 otherwise.
finish_tool_test() {
  echo
  if [ "$FAILS" -eq 0 ]; then echo "all checks passed"; exit 0; fi
  echo "$FAILS check(s) failed"
  exit 1
}

pass() { printf 'ok    %s\n' "$1"; }
fail() { printf 'FAIL  %s\n' "$1"; FAILS=$((FAILS + 1)); }

# expect_ok NAME CMD...: the command exits 0.
expect_ok() {
  local name=$1; shift
  if "$@" >out.txt 2>err.txt; then pass "$name"; else fail "$name (exit $?: $(cat err.txt))"; fi
}

# expect_error NAME REGEX CMD...: the command exits non-zero and stderr matches REGEX.
expect_error() {
  local name=$1 regex=$2; shift 2
  "$@" >out.txt 2>err.txt
  local rc=$?
  if [ "$rc" -ne 0 ] && grep -Eq -- "$regex" err.txt; then pass "$name"
  else fail "$name (exit $rc; stderr: $(cat err.txt); expected /$regex/)"; fi
}

# expect_exit NAME CODE REGEX CMD...: the command exits with CODE and stderr matches REGEX.
expect_exit() {
  local name=$1 code=$2 regex=$3; shift 3
  "$@" >out.txt 2>err.txt
  local rc=$?
  if [ "$rc" -eq "$code" ] && grep -Eq -- "$regex" err.txt; then pass "$name"
  else fail "$name (exit $rc, expected $code; stderr: $(cat err.txt); expected /$regex/)"; fi
}

# check NAME CONDITION-COMMAND...: the condition holds.
check() {
  local name=$1; shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}

# columns_agree FILE_A FILE_B COLUMN TOL: the numeric column COLUMN of two CSV logs agrees row by row to TOL
# relative (empty cells must be empty in both), and the logs have the same number of rows.
columns_agree() {
  paste -d, "$1" "$2" | awk -F, -v col="$3" -v tol="$4" -v n="$(head -1 "$1" | tr ',' '\n' | wc -l)" '
    NR == 1 { next }
    { a = $(col); b = $(col + n); rows++
      if ((a == "") != (b == "")) bad = 1
      else if (a != "") { d = a - b; if (d < 0) d = -d; s = (a < 0 ? -a : a); if (d > tol * s) bad = 1 } }
    END { exit (bad || rows == 0) }' && [ "$(wc -l <"$1")" -eq "$(wc -l <"$2")" ]
}
