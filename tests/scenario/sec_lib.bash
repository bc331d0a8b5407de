# sec_lib.bash - helpers of the sec_*.sh scenarios, sourced after lib.sh
# (named .bash so that CMake does not take it for a scenario).

PY=/usr/bin/python3
HOSTILE="$(dirname "$0")/hostile_client.py"
"$PY" -c "import zmq" 2>/dev/null || fail "python3-zmq is missing (tools/setup.sh installs it)"

# end_clean: stop every background program with SIGTERM, wait for each to
# exit, and fail if any of them left a sanitizer report (leak, error) in
# its log: under -DFSHARE_SANITIZE=ON this is where leaks show.
end_clean() {
    local pid
    for pid in $PIDS; do kill -TERM "$pid" 2>/dev/null; done
    for pid in $PIDS; do
        wait_until 10 eval "! kill -0 $pid 2>/dev/null" || fail "process $pid did not stop"
    done
    if grep -l "Sanitizer\|runtime error:" "$T"/*.log >/dev/null 2>&1; then
        fail "sanitizer reports: $(grep -l "Sanitizer\|runtime error:" "$T"/*.log)"
    fi
}
