# Shell completion (otpctl(1), COMPLETION): `otpctl __complete` against a
# real otpd (names of the tree by kind, -s and $OTP_SOCKET, nothing when
# otpd is down or silent), otpd refusing the local verb, and the scripts of
# `otpctl completion bash|zsh|fish` run in the real shells (bash with and
# without bash-completion, zsh's compsys through zpty, fish's complete -C).
# A shell that is not installed is skipped with the reason; scripts/setup.sh
# installs them all.
. "$(dirname "$0")/lib.sh"
conf <<EOF2
[supervisor root]
[worker w]
exec = $TW
[supervisor pool]
[worker job]
parent = pool
exec = $TW
EOF2
CDIR=$BUILD/completions

# words ARGS...: the candidates of `__complete ARGS...`, without descriptions, on one line.
words() { "$OTPCTL" __complete "$@" 2>"$T/cerr" | cut -f1 | tr '\n' ' ' | sed 's/ $//'; }
quiet() { [ ! -s "$T/cerr" ] && pass "$1: nothing on stderr" || fail "$1: stderr: $(cat "$T/cerr")"; }

# --- otpd is not running yet: no names, no message, exit 0 ----------------
expect_eq "no otpd: no names" "$(words -s "$SOCK" status '')" ""
quiet "no otpd"
"$OTPCTL" __complete -s "$SOCK" kill '' >/dev/null; expect_eq "no otpd: exit 0" $? 0
# an otpd that never answers (a socket nobody accepts on) is given up on
python3 -c '
import signal, socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(4)
print("up", flush=True); signal.pause()' "$T/silent.sock" > "$T/silent.up" &
SILENT=$!
trap 'kill "$SILENT" 2>/dev/null; cleanup' EXIT
wait_for grep -q up "$T/silent.up" || fail "silent socket did not come up"
expect_eq "silent otpd: no names" "$(timeout 10 "$OTPCTL" __complete -s "$T/silent.sock" status '')" ""
kill "$SILENT" 2>/dev/null; wait "$SILENT" 2>/dev/null

start_otpd || { fail "otpd did not start"; finish; }
wait_state w running; wait_state job running

# --- the verb table --------------------------------------------------------
expect_eq "verbs by prefix" "$(words st)" "status start stop start-child"
expect_eq "reexec offered" "$(words re)" "restart reload reexec reboot"
expect_eq "upgrade offered" "$(words up)" "upgrade"
"$OTPCTL" __complete st | grep -q "^status	the tree, or one node" \
	&& pass "a verb carries its summary" || fail "no summary for status"
"$OTPCTL" --help | grep -q __complete && fail "__complete in --help" || pass "__complete is hidden"
"$OTPCTL" --help | grep -q "completion bash|zsh|fish" && pass "completion in --help" \
	|| fail "completion not in --help"
expect_eq "global options" "$(words --json -)" "-s -H --help --version"
expect_eq "verb options not given yet" "$(words logs w -f -)" "-n --time --reopen --all --json"
expect_eq "--state values" "$(words wait w --state r)" "running restarting"
expect_eq "no value for a duration" "$(words wait w --timeout '')" ""
expect_eq "signal names" "$(words kill w TE)" "TERM"
expect_eq "SIG names once typed" "$(words kill w SIGKI)" "SIGKILL"
kinds=$(words import '')
expect_eq "import kinds" "$kinds" "supervisord procfile systemd"
for k in $kinds; do
	"$OTPCTL" import "$k" /dev/null >/dev/null 2>"$T/imp"
	grep -q "unknown kind" "$T/imp" && fail "import refuses the offered kind $k"
done
pass "import takes every kind offered"
expect_eq "import FILE" "$(words import procfile '')" ":file"
expect_eq "socket FILE" "$(words -s '')" ":file"
expect_eq "child arguments" "$(words start-child pool -- '')" ":file"
expect_eq "shells" "$(words completion '')" "bash zsh fish"

# --- names of the running tree ----------------------------------------------
expect_eq "nodes" "$(words -s "$SOCK" status '')" "root w pool job"
quiet "nodes"
"$OTPCTL" __complete -s "$SOCK" stop w | grep -q "^w	worker, running$" \
	&& pass "a node carries its type and state" || fail "no type/state for w"
expect_eq "count: supervisors only" "$(words -s "$SOCK" count '')" "root pool"
expect_eq "kill: workers only" "$(words -s "$SOCK" kill '')" "w job"
expect_eq "logs: workers only" "$(words -s "$SOCK" logs '')" "w job"
expect_eq "start-child: supervisors only" "$(words -s "$SOCK" start-child p)" "pool"
expect_eq "by prefix" "$(words -s "$SOCK" restart j)" "job"
expect_eq "-sPATH" "$(words -s"$SOCK" thaw p)" "pool"
expect_eq "\$OTP_SOCKET" "$(OTP_SOCKET=$SOCK words kill '')" "w job"
expect_eq "-s wins over \$OTP_SOCKET" "$(OTP_SOCKET=$SOCK words -s "$T/none.sock" kill '')" ""
expect_eq "~/ in -s" "$(HOME=$T words -s '~/run/otpd.sock' kill '')" "w job"
expect_eq "-H: no names" "$(words -H nohost -s "$SOCK" kill '')" ""
ctl stop job >/dev/null
"$OTPCTL" __complete -s "$SOCK" start j | grep -q "^job	worker, stopped$" \
	&& pass "the state is otpd's" || fail "job not shown stopped"
ctl start job >/dev/null

# --- the verb `completion` is otpctl's own ----------------------------------
expect_eq "completion bash = the built script" "$("$OTPCTL" completion bash | cmp - "$CDIR/otpctl.bash" && echo same)" same
expect_eq "completion zsh = the built script" "$("$OTPCTL" completion zsh | cmp - "$CDIR/_otpctl" && echo same)" same
expect_eq "completion fish = the built script" "$("$OTPCTL" completion fish | cmp - "$CDIR/otpctl.fish" && echo same)" same
"$OTPCTL" completion tcsh >/dev/null 2>"$T/e"; expect_eq "unknown shell -> 2" $? 2
grep -q 'unknown shell "tcsh"' "$T/e" && pass "unknown shell said" || fail "unknown shell: $(cat "$T/e")"
"$OTPCTL" --json completion bash | python3 -c 'import json,sys; assert json.load(sys.stdin)["script"].startswith("# bash completion")' \
	&& pass "completion --json" || fail "completion --json"
# a hand-made client asking otpd itself: refused, otpd unharmed
python3 - "$SOCK" > "$T/raw" <<'EOF2'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
p = b"completion\0bash\0"
s.sendall(struct.pack(">IBB", len(p), 1, 1) + p)
buf = b""
while True:
    d = s.recv(4096)
    if not d: break
    buf += d
err, code = b"", None
while len(buf) >= 6:
    n, _, t = struct.unpack(">IBB", buf[:6]); body = buf[6:6 + n]; buf = buf[6 + n:]
    if t == 3: err += body
    if t == 4: code = body[0]
print(code, err.decode().strip())
EOF2
expect_eq "otpd refuses completion" "$(cat "$T/raw")" "2 otpctl: completion is otpctl's own, not otpd's"
expect_eq "otpd still answers" "$(words -s "$SOCK" kill w)" "w"

# --- bash --------------------------------------------------------------------
# bash_complete [bash-completion] LINE: COMPREPLY for LINE (cursor at the end).
bash_complete() {
	local pre=:
	[ "$1" = bash-completion ] && { pre=". /usr/share/bash-completion/bash_completion"; shift; }
	OTP_SOCKET=$SOCK bash --norc --noprofile -c '
		'"$pre"'
		. "$1"
		COMP_LINE=$2; COMP_POINT=${#COMP_LINE}
		read -ra COMP_WORDS <<< "$COMP_LINE"
		[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_otpctl
		echo "${COMPREPLY[*]}"' bash "$CDIR/otpctl.bash" "$1"
}
bash_cases() {
	local how=$1 b=${1:+bash-completion}
	expect_eq "bash$how: verbs" "$(bash_complete $b "$OTPCTL st")" "status start stop start-child"
	expect_eq "bash$how: workers" "$(bash_complete $b "$OTPCTL kill ")" "w job"
	expect_eq "bash$how: -s" "$(bash_complete $b "$OTPCTL -s $T/none.sock kill ")" ""
	expect_eq "bash$how: options" "$(bash_complete $b "$OTPCTL wait w --state st")" "starting stopping stopped"
	expect_eq "bash$how: files" "$(bash_complete $b "$OTPCTL import procfile $T/ot")" "$T/otp.conf"
}
if command -v bash >/dev/null; then
	bash_cases ""
	if [ -r /usr/share/bash-completion/bash_completion ]; then
		bash_cases " (bash-completion)"
	else
		echo "skip: bash-completion is not installed (scripts/setup.sh installs it)"
	fi
	grep -q "^complete -F _otpctl otpctl$" "$CDIR/otpctl.bash" && pass "bash: registered for otpctl" \
		|| fail "bash: not registered"
fi

# --- fish --------------------------------------------------------------------
fish_complete() {
	OTP_SOCKET=$SOCK PATH=$BUILD:$PATH fish --no-config -c 'source $argv[1]; complete -C $argv[2]' \
		"$CDIR/otpctl.fish" "$1" | cut -f1 | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
}
if command -v fish >/dev/null; then
	expect_eq "fish: verbs" "$(fish_complete "otpctl sta")" "start start-child status"
	fish_complete "otpctl st" >/dev/null
	OTP_SOCKET=$SOCK PATH=$BUILD:$PATH fish --no-config -c 'source $argv[1]; complete -C "otpctl sta"' \
		"$CDIR/otpctl.fish" | grep -q "^status	the tree" && pass "fish: descriptions" || fail "fish: descriptions"
	expect_eq "fish: supervisors" "$(fish_complete "otpctl count ")" "pool root"
	expect_eq "fish: -s" "$(fish_complete "otpctl -s $T/none.sock kill ")" ""
	expect_eq "fish: the program typed" "$(fish_complete "$OTPCTL kill j")" "job"
	expect_eq "fish: files" "$(fish_complete "otpctl import procfile $T/ot")" "$T/otp.conf"
else
	echo "skip: fish is not installed (scripts/setup.sh installs it)"
fi

# --- zsh: real compsys in an interactive zsh on a pty (zpty); compadd is
# wrapped to record what the completion adds, a widget marks the end.
# zsh and fish order the candidates themselves: compared sorted. ----------
zsh_complete() {
	local out=$T/zsh.out
	: > "$out"
	mkdir -p "$T/zfunc" && cp "$CDIR/_otpctl" "$T/zfunc/"
	cat > "$T/zsetup" <<EOF2
PS1='> '
fpath=($T/zfunc \$fpath)
autoload -U compinit && compinit -u -d $T/zcompdump
compadd() {
	if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
		builtin compadd "\$@"
		return
	fi
	local -a hits
	builtin compadd -A hits "\$@"
	(( \$#hits )) && print -rl -- \$hits >> $out
	builtin compadd "\$@"
}
t-complete() { zle complete-word; print -r -- --END-- >> $out }
zle -N t-complete
bindkey '^I' t-complete
EOF2
	OTP_SOCKET=$SOCK PATH=$BUILD:$PATH zsh -f -c '
		zmodload zsh/zpty || exit 1
		zpty z zsh -f -i
		zpty -w z "source $1"
		zpty -w -n z "$2"$'"'\t'"'
		for i in {1..400}; do grep -q -- --END-- $3 && break; sleep 0.025; done
		zpty -d z' zsh "$T/zsetup" "$1" "$out"
	grep -v -- --END-- "$out" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
}
if command -v zsh >/dev/null; then
	expect_eq "zsh: verbs" "$(zsh_complete "otpctl st")" "start start-child status stop"
	expect_eq "zsh: workers" "$(zsh_complete "otpctl kill ")" "job w"
	expect_eq "zsh: -s" "$(zsh_complete "otpctl -s $T/none.sock kill ")" ""
	expect_eq "zsh: the program typed" "$(zsh_complete "$OTPCTL count p")" "pool"
	expect_eq "zsh: files" "$(zsh_complete "otpctl import procfile $T/ot")" "otp.conf"
	grep -q "^#compdef otpctl$" "$CDIR/_otpctl" && pass "zsh: #compdef" || fail "zsh: no #compdef"
else
	echo "skip: zsh is not installed (scripts/setup.sh installs it)"
fi

finish
