# sec_lib.bash - helpers of the sec_*.sh scenarios, sourced after lib.sh
# (named .bash so that CMake does not take it for a scenario).

PY=/usr/bin/python3
HOSTILE="$(dirname "$0")/hostile_client.py"
"$PY" -c "import zmq" 2>/dev/null || fail "python3-zmq is missing (tools/setup.sh installs it)"

# end_clean: stop every program now and check how each ended and what it
# logged (lib.sh's check_processes, which the exit would run anyway).
end_clean() {
    CHECKED=1
    check_processes || exit 1
}
