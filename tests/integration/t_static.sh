# make static: otpd and otpctl need no shared library, say so in
# --version, and run a tree as PID 1 of a PID namespace in a root that
# holds nothing else (a FROM scratch image: the binaries, a static
# busybox as the workers, /etc/passwd); a user name resolves from
# /etc/passwd there.
. "$(dirname "$0")/lib.sh"
S=$BUILD/static
[ -x "$S/otpd" ] && [ -x "$S/otpctl" ] || { echo "no static build: make static"; exit 77; }
unshare --pid --fork --kill-child --mount-proc true 2>/dev/null || { echo "cannot create PID namespaces here"; exit 77; }
BB=$(readlink -f /bin/busybox)
[ -x "$BB" ] && ! ldd "$BB" >/dev/null 2>&1 || { echo "no static busybox"; exit 77; }

for f in otpd otpctl; do
	readelf -d "$S/$f" | grep -q NEEDED && fail "$f needs shared libraries: $(readelf -d "$S/$f" | grep NEEDED)" ||
		pass "$f needs no shared library"
done
"$S/otpd" --version | grep -q "static build" && pass "otpd --version says it is the static build" ||
	fail "otpd --version: $("$S/otpd" --version)"

# The image: nothing but these files.
R=$T/root
mkdir -p "$R/bin" "$R/etc" "$R/dev" "$R/proc" "$R/run" "$R/tmp"
cp "$S/otpd" "$S/otpctl" "$R/"
cp "$BB" "$R/bin/busybox"
mknod -m 666 "$R/dev/null" c 1 3
printf 'root:x:0:0:root:/:/bin/busybox\napp:x:4321:4321:app:/tmp:/bin/busybox\n' > "$R/etc/passwd"
printf 'root:x:0:\napp:x:4321:\n' > "$R/etc/group"
cat > "$R/otp.conf" <<'EOF2'
[otpd]
cgroup = off

[supervisor root]
auto_shutdown = any_significant

[worker svc]
exec = /bin/busybox sleep 1000

[worker probe]
exec = /bin/busybox sh -c "/bin/busybox id; /bin/busybox sleep 0.5"
user = app
restart = transient
significant = true
EOF2
timeout -s KILL 20 unshare --pid --fork --kill-child --mount-proc="$R/proc" \
	chroot "$R" /otpd -c /otp.conf > "$T/out" 2> "$T/err"
rc=$?
expect_eq "the static otpd ran the tree as PID 1 and exited with probe's status" "$rc" 0
grep -q '^probe\[[0-9]*\]: uid=4321(app) gid=4321(app)' "$T/out" &&
	pass "user = app resolved from /etc/passwd in the bare root" ||
	fail "probe's output: $(cat "$T/out") $(cat "$T/err")"
grep -q "svc.*stopped" "$T/err" && pass "svc was running and stopped at the end" ||
	fail "svc: $(cat "$T/err")"
finish
