# otpctl import: supervisord's own sample configuration (with conf.d/
# includes), a Heroku-style Procfile and a typical systemd unit
# (tests/fixtures/import/) become otp.conf files that pass otpd --check,
# with every source key either mapped or kept as a comment; small runnable
# ones of each kind are imported and run, and do what their source says.
. "$(dirname "$0")/lib.sh"
FIX=$ROOT/tests/fixtures/import
HELPERS=$BUILD/helpers

# import KIND FILE OUT: otpctl import, then otpd --check of the result.
import() {
	local out=$3
	if ! "$OTPCTL" import "$1" "$2" > "$out" 2> "$out.err"; then
		fail "import $1 $2: exit $?: $(cat "$out.err")"
		return 1
	fi
	if "$OTPD" --check -c "$out" > "$out.tree" 2>&1; then
		pass "import $1 $(basename "$2"): otpd --check accepts it"
	else
		fail "import $1 $(basename "$2"): otpd --check: $(cat "$out.tree")"
		return 1
	fi
}

# section OUT NAME: the lines of [worker NAME] or [supervisor NAME].
section() {
	awk -v n="$2" '/^\[/ { on = ($2 == n "]") } on' "$1"
}

# has OUT NAME LINE: section NAME has exactly this line.
has() { section "$1" "$2" | grep -qxF -- "$3"; }

expect_has() { # what out name line
	has "$2" "$3" "$4" && pass "$1" || fail "$1: no '$4' in [$3]: $(section "$2" "$3" | tr '\n' '|')"
}

# every_key KIND SOURCE OUT: each key of the source is mapped (MAPPED
# lists source=otp pairs) or named in a comment of the output.
every_key() {
	python3 - "$@" <<'PY'
import re, sys
kind, src, out = sys.argv[1:4]
text = open(out).read()
mapped = {
  "supervisord": {"command": "exec", "directory": "workdir", "environment": "env",
                  "stopsignal": "stop_signal", "stopwaitsecs": "shutdown", "autorestart": "restart",
                  "exitcodes": "success_exit", "user": "user", "umask": "umask",
                  "stdout_logfile": "stdout", "stderr_logfile": "stderr", "files": "included",
                  "redirect_stderr": "redirect_stderr", "process_name": "[worker",
                  "numprocs": "numprocs", "numprocs_start": "[worker", "priority": "[",
                  "programs": "programs", "autostart": "[worker"},
  "systemd": {"ExecStart": "exec", "Type": "ready", "Restart": "restart", "User": "user",
              "Group": "group", "WorkingDirectory": "workdir", "Environment": "env",
              "EnvironmentFile": "environment_file", "KillSignal": "stop_signal",
              "TimeoutStopSec": "shutdown", "RestartSec": "restart_delay",
              "SuccessExitStatus": "success_exit", "NoNewPrivileges": "no_new_privs",
              "PrivateTmp": "private_tmp", "ReadOnlyPaths": "read_only_paths",
              "MemoryMax": "memory_max", "CPUQuota": "cpu_max", "TasksMax": "pids_max",
              "LimitNOFILE": "rlimit_nofile", "StartLimitIntervalSec": "period",
              "StartLimitBurst": "intensity"},
}[kind]
keys = set()
for line in open(src):
    s = line.strip()
    if not s or s[0] in ";#[" or line[0] in " \t":
        continue
    m = re.match(r"([A-Za-z_.]+)\s*[=:]", s)
    if m:
        keys.add(m.group(1).lower() if kind == "supervisord" else m.group(1))
missing = []
for k in sorted(keys):
    target = mapped.get(k)
    if target and (target + " =" in text or target in text):
        continue
    if re.search(r"^;.*\b" + re.escape(k) + r"\b", text, re.M):
        continue
    missing.append(k)
if missing:
    print("keys neither mapped nor in a comment: " + " ".join(missing))
    sys.exit(1)
PY
}

# --- supervisord's sample, with conf.d/*.ini ------------------------------
O=$T/sv.conf
if CELERY_CONCURRENCY=4 import supervisord "$FIX/supervisord/supervisord.conf" "$O"; then
	r=$(every_key supervisord "$FIX/supervisord/supervisord.conf" "$O") &&
		r=$(every_key supervisord "$FIX/supervisord/conf.d/web.ini" "$O") &&
		pass "supervisord: every key mapped or commented" || fail "supervisord: $r"
	expect_has "inline comments are not part of values" "$O" theprogramname "exec = /bin/cat"
	expect_has "stopsignal" "$O" theprogramname "stop_signal = QUIT"
	expect_has "autorestart = unexpected is transient" "$O" theprogramname "restart = transient"
	expect_has "stopwaitsecs" "$O" worker "shutdown = 600s"
	expect_has "exitcodes 0,2" "$O" worker "success_exit = 2"
	expect_has "stderr_logfile" "$O" worker "stderr = file:/var/log/celery/worker.err"
	expect_has "%(ENV_X)s expanded" "$O" worker \
		"exec = /srv/app/venv/bin/celery -A app worker --loglevel=INFO --concurrency=4"
	expect_has "[supervisord] environment for every worker" "$O" mailer "env = LANG=C.UTF-8"
	expect_has "environment=" "$O" web_02 "env = PYTHONUNBUFFERED=1"
	expect_has "[group:] is a supervisor" "$O" mailer "parent = thegroupname"
	expect_has "numprocs: process_name and process_num" "$O" web_03 \
		"exec = /srv/app/venv/bin/gunicorn app:wsgi --bind 127.0.0.1:8003 --workers 2 --access-logfile -"
	expect_has "numprocs under a supervisor of their own" "$O" web_04 "parent = web"
	expect_has "stdout_logfile=/dev/stdout" "$O" web_01 "stdout = inherit"
	expect_has "stdout_logfile=NONE" "$O" mailer "stdout = null"
	expect_has "autorestart = false is temporary" "$O" mailer "restart = temporary"
	section "$O" theprogramname | grep -q '^stderr' &&
		fail "redirect_stderr: stderr set anyway" || pass "redirect_stderr: stderr follows stdout"
	order=$(grep -o '^\[[a-z]* [a-z_0-9]*\]' "$O" | tr -d '[]' | awk '{print $2}' | paste -sd' ')
	expect_eq "start order is supervisord's priority order" "$order" \
		"root thegroupname worker mailer web web_01 web_02 web_03 web_04 theprogramname"
	grep -q '^; \[eventlistener:theeventlistenername\]: no event listeners' "$O" &&
		pass "[eventlistener:] kept as a comment" || fail "no comment for [eventlistener:]"
fi

# --- a Heroku-style Procfile ----------------------------------------------
O=$T/proc.conf
if import procfile "$FIX/Procfile" "$O"; then
	expect_eq "one worker per process type" \
		"$(grep -c '^\[worker ' "$O")" 5
	expect_has "a simple command is exec'd by the shell" "$O" web \
		"exec = /bin/sh -c 'exec bundle exec puma -C config/puma.rb'"
	expect_has "a compound command is not" "$O" release \
		"exec = /bin/sh -c 'bundle exec rails db:migrate && bundle exec rails db:seed'"
	expect_has "' ;' outside quotes loses its space (otp.conf comments)" "$O" assets \
		"exec = /bin/sh -c 'cd public; exec ruby -run -e httpd . -p \$PORT'"
	expect_has "foreman's PORT" "$O" clock "env = PORT=5200"
	expect_has "the Procfile's directory" "$O" worker "workdir = $FIX"
	expect_has "its .env" "$O" worker "environment_file = -$FIX/.env"
fi

# --- a typical systemd unit -----------------------------------------------
O=$T/unit.conf
if import systemd "$FIX/web.service" "$O"; then
	r=$(every_key systemd "$FIX/web.service" "$O") && pass "systemd: every key mapped or commented" ||
		fail "systemd: $r"
	expect_has "ExecStart with \${PORT} runs under the shell" "$O" web \
		"exec = /bin/sh -c 'exec /srv/app/venv/bin/gunicorn --workers 3 --bind 127.0.0.1:\"\${PORT}\" --access-logfile - app.wsgi:application'"
	expect_has "Type=notify" "$O" web "ready = notify"
	expect_has "Restart=on-failure" "$O" web "restart = transient"
	expect_has "Environment= with quotes" "$O" web "env = PATH=/srv/app/venv/bin:/usr/bin:/bin"
	expect_has "EnvironmentFile=-" "$O" web "environment_file = -/etc/default/web"
	expect_has "KillSignal=SIGTERM" "$O" web "stop_signal = TERM"
	expect_has "SuccessExitStatus" "$O" web "success_exit = 143 TERM"
	expect_has "MemoryMax" "$O" web "memory_max = 512M"
	expect_has "CPUQuota" "$O" web "cpu_max = 150%"
	expect_has "start limit as intensity" "$O" root "intensity = 3"
	expect_has "start limit interval as period" "$O" root "period = 60s"
fi

# --json after the verb as before it: one object whose config is the file
for args in "--json import procfile $FIX/Procfile" "import procfile $FIX/Procfile --json"; do
	# shellcheck disable=SC2086
	got=$("$OTPCTL" $args | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["ok"], "[worker" in d["config"])')
	expect_eq "import with --json ($args)" "$got" "True True"
done

# --- errors ---------------------------------------------------------------
"$OTPCTL" import nosuchkind "$FIX/Procfile" > /dev/null 2>&1
expect_eq "an unknown kind is a usage error" "$?" 2
"$OTPCTL" import procfile "$T/missing" > /dev/null 2> "$T/e"
expect_eq "a missing file fails" "$?" 1
printf '[Service]\nType=simple\n' > "$T/noexec.service"
"$OTPCTL" import systemd "$T/noexec.service" > /dev/null 2> "$T/e"
rc=$?
[ $rc = 1 ] && grep -q "no ExecStart" "$T/e" && pass "a unit without ExecStart= fails, saying so" ||
	fail "no ExecStart: rc $rc, $(cat "$T/e")"

# --- run what was imported ------------------------------------------------
# A Procfile, a supervisord program with numprocs and a unit, each run by
# otpd: the workers see what their source promised them.
mkdir -p "$T/app"
printf 'GREETING=from-dotenv\n' > "$T/app/.env"
cat > "$T/app/Procfile" <<EOF2
web: echo "web port=\$PORT greeting=\$GREETING pwd=\$(pwd)" ; exec sleep 1000
EOF2
cat > "$T/sv.conf" <<EOF2
[program:pool]
command=/bin/sh -c "echo %(program_name)s-%(process_num)d up; exec sleep 1000"
process_name=%(program_name)s_%(process_num)d
numprocs=2
environment=MODE="sv"
EOF2
cat > "$T/app.service" <<EOF2
[Service]
Environment=PORT=8123 "MSG=hello world"
ExecStart=/bin/sh -c 'echo "unit port=\$PORT msg=\$MSG"; exec sleep 1000'
Restart=always
EOF2
{
	"$OTPCTL" import procfile "$T/app/Procfile"
	"$OTPCTL" import supervisord "$T/sv.conf" | sed '/^\[supervisor root\]/,/^$/d'
	"$OTPCTL" import systemd "$T/app.service" | sed '/^\[supervisor root\]/,/^$/d'
} | conf
if ! start_otpd; then
	fail "otpd did not start the imported tree: $(cat "$T/err")"
	finish
fi
for w in web pool_0 pool_1 app; do
	wait_state $w running || fail "$w is not running: $(ctl status)"
done
wait_for grep -q "web port=5000 greeting=from-dotenv pwd=$T/app" "$T/out" &&
	pass "Procfile: PORT, .env and the directory" || fail "Procfile: $(grep web "$T/out")"
wait_for grep -q "pool-1 up" "$T/out" && grep -q "pool-0 up" "$T/out" &&
	pass "supervisord: numprocs and %(process_num)d" || fail "supervisord: $(grep pool "$T/out")"
wait_for grep -q "unit port=8123 msg=hello world" "$T/out" &&
	pass "systemd: Environment= and \$VARIABLES in ExecStart" || fail "unit: $(grep unit "$T/out")"
ctl shutdown > /dev/null
otpd_wait
finish
