#!/usr/bin/env bash
# Runs irctest (the public IRC server test suite, kept beside the clone in
# ../shared/irctest, never copied in) against the built server through
# test/irctest/pipechat_controller.py, on the modules docs/IRC.md lists.
# Prints pytest's summary; exits non-zero when fewer tests pass than the
# floor (a regression), or when pytest itself cannot run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
suite="${IRCTEST_DIR:-$here/../../../shared/irctest}"
floor="${IRCTEST_FLOOR:-85}"
modules=(pingpong connection_registration join part messages names list quit isupport cap echo_message message_tags who)
[ -d "$suite/irctest" ] || { echo "irctest: no suite at $suite" >&2; exit 1; }
files=()
for m in "${modules[@]}"; do files+=("irctest/server_tests/$m.py"); done
log=$(mktemp)
set +e
(cd "$suite" && PYTHONPATH="$here" python3 -m pytest -p no:cacheprovider --controller pipechat_controller \
  -m 'not Ergo and not deprecated and not strict' "${files[@]}" -q -rfE 2>&1) > "$log"
set -e
grep -E '^(FAILED|ERROR) ' "$log" || true
summary=$(tail -n 1 "$log")
echo "irctest: $summary"
passed=$(sed -n 's/.* \([0-9]\+\) passed.*/\1/p' <<<"$summary")
rm -f "$log"
if [ -z "$passed" ] || [ "$passed" -lt "$floor" ]; then
  echo "irctest: ${passed:-no} tests passed, fewer than the floor of $floor" >&2
  exit 1
fi
