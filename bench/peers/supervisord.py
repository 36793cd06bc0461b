"""supervisord.py: supervisord (Python) in the foreground, one [program] per child."""
import os

from peers.base import Run, Supervisor


class SupervisordRun(Run):
    def status_argv(self):
        return ["supervisorctl", "-c", self.conf, "status"]


class Supervisord(Supervisor):
    name = "supervisord"
    needs = ("supervisord", "supervisorctl")
    note = "startsecs=0 (the default 1 s puts a child that exits at once in BACKOFF)"

    def start(self, ctx, children, label):
        d = ctx.dir(label)
        cg = ctx.cgroup(label)
        conf = os.path.join(d, "supervisord.conf")
        lines = ["[supervisord]", "nodaemon=true", f"logfile={d}/supervisord.log",
                 f"pidfile={d}/supervisord.pid", f"childlogdir={d}",
                 f"minfds={len(children) * 4 + 1024}", f"minprocs={len(children) + 200}",
                 "loglevel=warn",
                 "[unix_http_server]", f"file={d}/supervisor.sock",
                 "[rpcinterface:supervisor]",
                 "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
                 "[supervisorctl]", f"serverurl=unix://{d}/supervisor.sock"]
        for i, argv in enumerate(children):
            lines += [f"[program:w{i}]", "command=" + " ".join(argv), "autorestart=true",
                      "startsecs=0", "startretries=1000000", "stopwaitsecs=10",
                      "stdout_logfile=NONE", "stderr_logfile=NONE"]
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        p = ctx.spawn(["supervisord", "-n", "-c", conf], cg,
                      err=open(os.path.join(d, "err"), "w"), cwd=d)
        run = SupervisordRun(ctx, p, cg, d)
        run.conf = conf
        return run
