# The assertions the end-to-end tool tests (tests/tool/*.sh) share. Source it after `FAILS=0`; each check
# prints "ok    NAME" or "FAIL  NAME (…)" and failures are counted in FAILS. Commands run in the current
# directory with their stdout in out.txt and stderr in err.txt.

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
