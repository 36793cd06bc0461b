# otpctl metrics (Prometheus text format, parsed with Debian's
# prometheus_client) matches otpctl status --json; otpctl health in each
# state; --json on every verb: one JSON document with "ok" (and "error"
# when false), the same exit code as without --json.
. "$(dirname "$0")/lib.sh"
# Debian's python3 has python3-prometheus-client (scripts/setup.sh); a
# python3 of another installation earlier in PATH may not.
PYDEB=/usr/bin/python3
conf <<EOF2
[supervisor root]
intensity = 100
period = 10s
[worker web]
exec = /bin/sleep 600
mailbox = true
[worker job]
exec = /bin/sh -c 'exit 3'
restart = transient
restart_delay = 1h
[worker side]
exec = /bin/sleep 600
restart = temporary
[supervisor pool]
strategy = simple_one_for_one
[worker tpl]
parent = pool
exec = /bin/sleep 600
EOF2
start_otpd || { fail "otpd did not start"; finish; }
wait_state web running && wait_state job restarting || fail "not settled: $(ctl status)"

# --- metrics ----------------------------------------------------------------
ctl status --json > "$T/status.json"
ctl metrics > "$T/metrics.txt"; expect_eq "metrics: exit 0" $? 0
$PYDEB - "$T/metrics.txt" "$T/status.json" > "$T/cmp" 2>&1 <<'PY'
import json, sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
st = json.load(open(sys.argv[2]))
nodes = {}
def walk(n):
    nodes[n["name"]] = n
    for c in n.get("children", []): walk(c)
walk(st)
def val(fam, name, **labels):
    for s in fams[fam].samples:
        if s.labels.get("name") == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None
bad = []
for name, n in nodes.items():
    if n["type"] == "worker":
        if val("otpd_worker_up", name) != (1 if n["state"] == "running" else 0): bad.append(("up", name))
        if val("otpd_worker_restarts", name) != n["restarts"]: bad.append(("restarts", name))
        if n["last_exit"] is not None and val("otpd_worker_last_exit_info", name, reason=n["last_exit"]) != 1:
            bad.append(("last_exit", name))
        if n["last_exit"] is None and val("otpd_worker_last_exit_info", name) is not None: bad.append(("no last_exit", name))
        up = val("otpd_worker_uptime_seconds", name)
        if (n["uptime_ms"] is None) != (up is None) or (up is not None and abs(up - n["uptime_ms"] / 1000) > 5):
            bad.append(("uptime", name, up, n["uptime_ms"]))
        if val("otpd_worker_up", name) is None: bad.append(("missing", name))
    else:
        if val("otpd_supervisor_up", name) != (1 if n["state"] == "running" else 0): bad.append(("sup up", name))
        if val("otpd_supervisor_gave_up", name) != 0: bad.append(("gave_up", name))
for fam in ("otpd_resident_memory_bytes", "otpd_open_fds", "otpd_events", "otpd_events_dropped"):
    if fam not in fams or fams[fam].samples[0].value < 0: bad.append(("otpd", fam))
print("ok" if not bad else bad)
print(val("otpd_worker_restarts", "job"), val("otpd_supervisor_intensity", "root"),
      val("otpd_supervisor_period_seconds", "root"), val("otpd_supervisor_restarts_in_window", "root"))
PY
expect_eq "metrics parse and match status --json" "$(head -1 "$T/cmp")" ok
expect_eq "job waits for its restart (counted when it happens); root: intensity 100 in 10 s, 1 in the window" "$(sed -n 2p "$T/cmp")" "0.0 100.0 10.0 1.0"
grep -q '^# TYPE otpd_worker_restarts_total counter$' "$T/metrics.txt" && pass "restarts_total is a counter" || fail "TYPE lines: $(grep TYPE "$T/metrics.txt")"
expect_eq "metrics --json: the same samples" "$(ctl metrics --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["ok"], [s["value"] for s in d["samples"] if s["name"] == "otpd_worker_up" and s["labels"]["name"] == "web"])')" "True [1]"

# --- health -------------------------------------------------------------------
# health_is RC: exit code and, with --json, "healthy" and the problems' names
health_is() { ctl health --json > "$T/h.json"; local rc=$?; echo "$rc $(python3 -c '
import json, sys; d = json.load(open(sys.argv[1])); print(d["ok"], d["healthy"], [p["name"] for p in d["problems"]])' "$T/h.json")"; }
expect_eq "healthy although a transient worker restarts" "$(health_is)" "0 True True []"
expect_eq "text: ok" "$(ctl health)" ok
ctl stop side >/dev/null    # temporary: removed, and no matter
expect_eq "a temporary worker gone: healthy" "$(health_is)" "0 True True []"
ctl stop web >/dev/null
expect_eq "a permanent worker stopped: unhealthy" "$(health_is)" "1 False False ['web']"
expect_eq "text: exit 1, says which" "$(ctl health; echo "rc=$?")" "unhealthy: 1 node not up
web: stopped (last exit shutdown)
rc=1"
expect_eq "json: error unhealthy" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["error"], d["problems"][0]["state"])' "$T/h.json")" "unhealthy stopped"
ctl start web >/dev/null && wait_state web running
expect_eq "started again: healthy" "$(health_is)" "0 True True []"
if [ -n "$CGBASE" ]; then
	ctl freeze web >/dev/null
	expect_eq "frozen: unhealthy" "$(health_is)" "1 False False ['web']"
	ctl thaw web >/dev/null
	expect_eq "thawed: healthy" "$(health_is)" "0 True True []"
	expect_eq "events: frozen, then thawed" "$(ctl events --since 0 --no-follow --json |
		python3 -c 'import json,sys; print([e["event"] for e in map(json.loads, sys.stdin) if e.get("name") == "web" and e["event"] in ("frozen", "thawed")])')" \
		"['frozen', 'thawed']"
fi
# A permanent worker restarting (a crash, restart_delay): unhealthy.
cat >> "$T/otp.conf" <<EOF2
[worker flaky]
exec = /bin/sh -c 'exit 1'
restart_delay = 1h
EOF2
ctl reload >/dev/null
wait_state flaky restarting
expect_eq "a permanent worker restarting: unhealthy" "$(health_is)" "1 False False ['flaky']"
expect_eq "metrics: flaky down" "$(ctl metrics | grep '^otpd_worker_up{name="flaky"')" 'otpd_worker_up{name="flaky",supervisor="root"} 0'
ctl stop flaky >/dev/null

# --- --json on every verb --------------------------------------------------------
# same VERB...: text and --json give the same exit code; the JSON is one
# document with "ok" (and "error" when false).
same() {
	local rc_text rc_json out
	ctl "$@" >/dev/null 2>&1; rc_text=$?
	out=$(ctl --json "$@" 2>/dev/null); rc_json=$?
	[ "$rc_text" = "$rc_json" ] || { fail "$*: exit $rc_text without --json, $rc_json with"; return; }
	echo "$out" | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
assert isinstance(d["ok"], bool) and (d["ok"] or isinstance(d["error"], str) and isinstance(d["message"], str)), d
assert d["ok"] == (int(sys.argv[1]) == 0), d' "$rc_json" && pass "--json $* (exit $rc_json)" || fail "--json $*: $out"
}
same status
same status web
same status nope
same count
same count web
same start web
same stop nope
same restart nope
same delete-child web
same kill web NOSIG
same kill nope
same logs web
same logs web -n 3
same logs pool
same wait web --state running
same wait web --state stopped --timeout 10ms
same freeze nope
same thaw nope
same start-child web
same metrics
same health
same bogus
same status a b
same call nope hi
same cast nope hi
same import procfile /nonexistent
same import nothing x
same reexec
# Verbs that change something: their text and JSON forms each once.
expect_eq "start-child --json: the new name" "$(ctl --json start-child pool)" '{"ok":true,"name":"tpl@1"}'
expect_eq "stop --json" "$(ctl stop tpl@1 --json)" '{"ok":true}'
expect_eq "restart --json" "$(ctl restart web --json)" '{"ok":true}'
expect_eq "kill --json" "$(ctl kill web --json)" '{"ok":true}'
wait_state web running
expect_eq "reload --json: its lines" "$(ctl reload --json)" '{"ok":true}'
printf '[worker' >> "$T/otp.conf"
ctl reload >/dev/null 2>&1; rc=$?
expect_eq "reload --json of a broken file" "$(ctl reload --json | python3 -c '
import json, sys; d = json.load(sys.stdin); print(d["ok"], d["error"], len(d["lines"]) > 0)'; echo "${PIPESTATUS[0]} $rc")" "False invalid True
1 1"
expect_eq "call --json: the reply as a string" "$(ctl call web x --timeout 100ms --json)" '{"ok":false,"error":"timeout","message":"web: timeout"}'
expect_eq "otpd unreachable: exit 3 and JSON" "$("$OTPCTL" -s "$T/none.sock" --json status; echo "rc=$?")" \
	"{\"ok\":false,\"error\":\"unreachable\",\"message\":\"cannot reach otpd at $T/none.sock: No such file or directory\"}
rc=3"
expect_eq "--version --json" "$("$OTPCTL" --json --version | python3 -c 'import json,sys; print(json.load(sys.stdin)["ok"])')" True
expect_eq "shutdown --json" "$(ctl shutdown --json)" '{"ok":true}'
otpd_wait
finish
