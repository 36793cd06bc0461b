%% otpdiff: the Erlang/OTP side of otpd's differential tier (tests/otp/).
%%
%% Runs scenarios (written by run.py as terms, one file) against real
%% `supervisor` trees and writes one raw trace per scenario, in the same
%% line format as run.py's otpd side:
%%
%%   ev start NAME | ev ready NAME | ev fail NAME | ev term NAME
%%   ev exit NAME REASON          (normal, shutdown, killed, crash)
%%   mark TEXT                    (a step of the timeline, with its result)
%%   giveup SUP                   (reached_max_restart_intensity)
%%   tree SUP = NAME:STATE ...    (final which_children, running sups)
%%   end requested|gaveup|auto_shutdown|boot_failed
%%   error TEXT                   (the runner itself failed)
%%
%% erl -noshell -pa DIR -run otpdiff main CASES OUTDIR JOBS
%%
%% Workers are proc_lib processes that ask their case's recorder how this
%% start attempt behaves (the same table run.py gives otpd's workers), and
%% tell it what happens to them; the recorder monitors them for their exit
%% reasons.  The recorder keeps events in the order it receives them: on
%% one node a message is in the receiver's queue when it is sent, so that
%% order is causal.
-module(otpdiff).
-export([main/1, init/1, start_worker/2, worker_init/4,
         log/2, adding_handler/1, removing_handler/1]).

-define(SETTLE_TIMEOUT, 30000).

%% --- main -----------------------------------------------------------------

main([CasesFile, OutDir, Jobs]) ->
    {ok, Cases} = file:consult(CasesFile),
    ets:new(otpdiff_recs, [named_table, public, set]),
    logger:remove_handler(default),
    ok = logger:add_handler(otpdiff, otpdiff, #{level => all}),
    run_all(Cases, OutDir, list_to_integer(Jobs), 0),
    halt(0).

run_all([], _Out, _Jobs, 0) ->
    ok;
run_all(Cases, Out, Jobs, Running) when Cases =:= []; Running >= Jobs ->
    receive {case_done, _} -> run_all(Cases, Out, Jobs, Running - 1) end;
run_all([C | Cases], Out, Jobs, Running) ->
    Self = self(),
    spawn(fun() -> run_case_safe(C, Out), Self ! {case_done, self()} end),
    run_all(Cases, Out, Jobs, Running + 1).

run_case_safe({scenario, Idx, _Id, _Tree, _Behav, _Steps} = C, Out) ->
    File = filename:join(Out, integer_to_list(Idx) ++ ".trace"),
    Lines = try run_case(C)
            catch Class:Why:Stack ->
                    [io_lib:format("error ~p:~p ~p", [Class, Why, Stack])]
            end,
    ok = file:write_file(File, [[L, $\n] || L <- Lines]).

%% --- one case -------------------------------------------------------------

-record(ctx, {idx, rec, tree, owner}).

run_case({scenario, Idx, _Id, Tree, Behav, Steps}) ->
    Rec = spawn(fun() -> recorder(Behav) end),
    ets:insert(otpdiff_recs, {Idx, Rec}),
    Ctx0 = #ctx{idx = Idx, rec = Rec, tree = Tree},
    Owner = spawn(fun() -> owner(Ctx0) end),
    Ctx = Ctx0#ctx{owner = Owner},
    Owner ! {boot, self()},
    receive {booted, Owner, Ok} -> ok end,
    case Ok of
        true ->
            settle(Ctx),
            run_steps(Steps, Ctx, []),
            final(Ctx);
        false ->
            ok
    end,
    Lines = call(Rec, lines),
    exit(Rec, kill),
    exit(Owner, kill),
    ets:delete(otpdiff_recs, Idx),
    Lines.

%% The root's parent: boots it, stops it, says how it ended.
owner(#ctx{rec = Rec, tree = Tree} = Ctx) ->
    process_flag(trap_exit, true),
    receive {boot, Runner} -> ok end,
    case supervisor:start_link({local, reg(Ctx, root)}, ?MODULE, {sup, ctx_arg(Ctx), Tree}) of
        {ok, Root} ->
            Runner ! {booted, self(), true},
            owner_loop(Root, Rec, false);
        _ ->
            Rec ! {ended, boot_failed},
            Runner ! {booted, self(), false}
    end.

owner_loop(Root, Rec, Requested) ->
    receive
        {stop, From} ->
            exit(Root, shutdown),
            owner_loop(Root, Rec, From);
        {'EXIT', Root, _Reason} ->
            Rec ! {ended, case Requested of false -> self_ended; _ -> requested end},
            case Requested of false -> ok; From -> From ! {stopped, self()} end,
            owner_done()
    end.

owner_done() ->
    receive {stop, From} -> From ! {stopped, self()}, owner_done() end.

ctx_arg(#ctx{idx = Idx, rec = Rec}) -> {Idx, Rec}.

reg(#ctx{idx = Idx}, Name) -> reg(Idx, Name);
reg(Idx, Name) -> list_to_atom("c" ++ integer_to_list(Idx) ++ "_" ++ atom_to_list(Name)).

%% --- supervisor callback ----------------------------------------------------

init({sup, {Idx, _} = C, {sup, _Name, Flags, _Opts, Children}}) ->
    Specs = [child_spec(C, Idx, Flags, Ch) || Ch <- Children],
    {ok, {Flags, Specs}}.

child_spec(C, _Idx, #{strategy := simple_one_for_one}, {worker, Name, Opts}) ->
    (spec_opts(Opts))#{id => Name, start => {?MODULE, start_worker, [C]}, type => worker};
child_spec(C, _Idx, _, {worker, Name, Opts}) ->
    (spec_opts(Opts))#{id => Name, start => {?MODULE, start_worker, [C, Name]}, type => worker};
child_spec({Idx, _} = C, _Idx, _, {sup, Name, _Flags, Opts, _Children} = Node) ->
    (spec_opts(Opts))#{id => Name, type => supervisor,
                       start => {supervisor, start_link, [{local, reg(Idx, Name)}, ?MODULE, {sup, C, Node}]}}.

spec_opts(Opts) ->
    maps:with([restart, shutdown, significant], Opts).

%% --- workers ----------------------------------------------------------------

%% A dynamic child of a simple_one_for_one supervisor: its name is the
%% argument of start_child.
start_worker({_Idx, Rec} = C, Name) ->
    case call(Rec, {hello, Name}) of
        {fail, _Stop} ->
            Rec ! {ev, fail, Name, self()},
            {error, failed};
        Mode ->
            proc_lib:start_link(?MODULE, worker_init, [self(), C, Name, Mode])
    end.

worker_init(Parent, {_Idx, Rec}, Name, {Start, Stop}) ->
    process_flag(trap_exit, Stop =/= quick),
    link(Rec),
    Rec ! {ev, start, Name, self(), Parent},
    case Start of
        now -> ok;
        {delay, D} -> wait_or_killed(Parent, D), Rec ! {ev, ready, Name, self()};
        hold -> Rec ! {held, Name, self()}, wait_go(Parent), Rec ! {ev, ready, Name, self()}
    end,
    proc_lib:init_ack(Parent, {ok, self()}),
    worker_loop(Parent, Rec, Name, Stop).

worker_loop(Parent, Rec, Name, Stop) ->
    receive
        {die, Reason} ->
            exit(Reason);
        {'EXIT', Parent, killed} ->
            exit(killed);               % its supervisor was killed: cgroup.kill
        {'EXIT', Parent, Reason} ->
            Stop =:= ignore orelse (Rec ! {ev, term, Name, self()}),
            stopping(Parent, Rec, Name, Stop, Reason);
        _ ->
            worker_loop(Parent, Rec, Name, Stop)
    end.

stopping(Parent, _Rec, _Name, {slow, D}, Reason) ->
    wait_or_killed(Parent, D),
    exit(Reason);
stopping(Parent, _Rec, _Name, ignore, _Reason) ->
    receive
        {'EXIT', Parent, killed} -> exit(killed);
        {die, R} -> exit(R)
    end;
stopping(Parent, Rec, Name, hold, Reason) ->
    Rec ! {held, Name, self()},
    wait_go(Parent),
    exit(Reason).

wait_or_killed(Parent, D) ->
    receive {'EXIT', Parent, killed} -> exit(killed) after D -> ok end.

wait_go(Parent) ->
    receive
        go -> ok;
        {'EXIT', Parent, killed} -> exit(killed)
    end.

%% --- the recorder -----------------------------------------------------------

-record(rs, {behav, attempts = #{}, events = [], names = #{}, pids = #{},
             held = #{}, ended = none, count = 0, results = #{},
             parents = #{}, sups = #{}, gone = #{}}).

%% Workers link themselves to the recorder: a dying process sends its link
%% signals (to its supervisor and to the recorder, together) before its
%% monitor signals, so the recorder hears of an exit before the supervisor
%% can act on it, whether the supervisor learns it through the link (a
%% crash) or through a monitor (a stop).
%%
%% A killed supervisor's workers die of its exit signal, at the same time
%% as its parent goes on (stops the next sibling, say): in OTP their exits
%% have no order with what the parent does next.  The recorder monitors
%% each worker's supervisor and records the workers of one that dies
%% `killed` as killed right then (the first moment of the concurrent
%% window, and otpd's order: it kills a supervisor's subtree at once), and
%% ignores their own exits when they come.
recorder(Behav) ->
    process_flag(trap_exit, true),
    rec_loop(#rs{behav = maps:from_list(Behav)}).

rec_loop(S) ->
    receive
        {call, From, Ref, Q} ->
            {Reply, S2} = rec_call(Q, S),
            From ! {Ref, Reply},
            rec_loop(S2);
        {ev, start, Name, Pid, Sup} ->
            S2 = add({ev, start, Name}, S),
            rec_loop(watch_sup(Sup, S2#rs{names = maps:put(Pid, Name, S2#rs.names),
                                          pids = maps:put(Name, Pid, S2#rs.pids),
                                          parents = maps:put(Pid, Sup, S2#rs.parents)}));
        {'DOWN', _, process, Sup, killed} when is_map_key(Sup, S#rs.sups) ->
            rec_loop(orphans_killed(Sup, S));
        {'DOWN', _, process, Sup, _} when is_map_key(Sup, S#rs.sups) ->
            rec_loop(S#rs{sups = maps:remove(Sup, S#rs.sups)});
        {'EXIT', Pid, _} when is_map_key(Pid, S#rs.gone) ->
            rec_loop(S#rs{gone = maps:remove(Pid, S#rs.gone)});
        {ev, What, Name, _Pid} ->
            rec_loop(add({ev, What, Name}, S));
        {'EXIT', Pid, _} when not is_map_key(Pid, S#rs.names) ->
            rec_loop(S);
        {'EXIT', Pid, Reason} ->
            Name = maps:get(Pid, S#rs.names),
            Held = case maps:find(Name, S#rs.held) of
                       {ok, Pid} -> maps:remove(Name, S#rs.held);
                       _ -> S#rs.held
                   end,
            rec_loop(add({ev, exit, Name, reason(Reason)},
                         S#rs{held = Held, parents = maps:remove(Pid, S#rs.parents)}));
        {held, Name, Pid} ->
            rec_loop(S#rs{held = maps:put(Name, Pid, S#rs.held)});
        {unheld, Name} ->
            rec_loop(S#rs{held = maps:remove(Name, S#rs.held)});
        {mark, Text} ->
            rec_loop(add({mark, Text}, S));
        {mark_call, Ref, Text} ->
            rec_loop(add({mark_call, Ref, Text}, S));
        {call_result, Ref, R} ->
            rec_loop(S#rs{results = maps:put(Ref, R, S#rs.results)});
        {giveup, Sup} ->
            rec_loop(add({giveup, Sup}, S));
        {ended, How} ->
            rec_loop(S#rs{ended = How});
        {line, L} ->
            rec_loop(add({line, L}, S))
    end.

add(E, S) -> S#rs{events = [E | S#rs.events], count = S#rs.count + 1}.

watch_sup(Sup, S) when is_map_key(Sup, S#rs.sups) -> S;
watch_sup(Sup, S) ->
    erlang:monitor(process, Sup),
    S#rs{sups = maps:put(Sup, true, S#rs.sups)}.

%% Sup died killed: its live workers die of it now (see recorder/1).
orphans_killed(Sup, S0) ->
    S = S0#rs{sups = maps:remove(Sup, S0#rs.sups)},
    Orphans = lists:sort([P || {P, Parent} <- maps:to_list(S#rs.parents), Parent =:= Sup]),
    lists:foldl(fun(P, Acc) -> orphan_killed(P, Acc) end, S, Orphans).

orphan_killed(Pid, S) ->
    Name = maps:get(Pid, S#rs.names),
    Held = case maps:find(Name, S#rs.held) of
               {ok, Pid} -> maps:remove(Name, S#rs.held);
               _ -> S#rs.held
           end,
    add({ev, exit, Name, killed}, S#rs{held = Held, gone = maps:put(Pid, true, S#rs.gone),
                                       parents = maps:remove(Pid, S#rs.parents)}).

reason(normal) -> normal;
reason(shutdown) -> shutdown;
reason(killed) -> killed;
reason(_) -> crash.

rec_call({hello, Name}, #rs{behav = B, attempts = A} = S) ->
    N = maps:get(Name, A, 0) + 1,
    {mode(maps:get(Name, B), N), S#rs{attempts = maps:put(Name, N, A)}};
rec_call(count, S) ->
    {{S#rs.count, S#rs.ended}, S};
rec_call({held, Name}, S) ->
    {maps:get(Name, S#rs.held, none), S};
rec_call({pid_of, Name}, S) ->
    case maps:find(Name, S#rs.pids) of
        {ok, Pid} -> {case is_process_alive(Pid) of true -> Pid; false -> none end, S};
        error -> {none, S}
    end;
rec_call({name_of, Pid}, S) ->
    {maps:get(Pid, S#rs.names, '?'), S};
rec_call(ended, S) ->
    {S#rs.ended, S};
rec_call(lines, S) ->
    {[line(E, S#rs.results) || E <- lists:reverse(S#rs.events)] ++ [end_line(S#rs.ended)], S}.

end_line(requested) -> "end requested";
end_line(boot_failed) -> "end boot_failed";
end_line(self_ended) -> "end self";
end_line(none) -> "end none".

line({mark_call, Ref, Text}, Results) -> ["mark ", Text, " = ", maps:get(Ref, Results, "?")];
line(E, _) -> line(E).

line({ev, exit, Name, R}) -> io_lib:format("ev exit ~s ~s", [Name, R]);
line({ev, What, Name}) -> io_lib:format("ev ~s ~s", [What, Name]);
line({mark, Text}) -> ["mark ", Text];
line({giveup, Sup}) -> io_lib:format("giveup ~s", [Sup]);
line({line, L}) -> L.

%% Behaviour of attempt N: {Default, Overrides, FailFrom}, as run.py says.
mode({Default, Overrides, FailFrom}, N) ->
    {_, Stop} = Default,
    if FailFrom > 0, N >= FailFrom -> {fail, Stop};
       true ->
            case lists:keyfind(N, 1, Overrides) of
                {N, M} -> M;
                false -> Default
            end
    end.

call(Pid, Q) ->
    Ref = make_ref(),
    Pid ! {call, self(), Ref, Q},
    receive {Ref, R} -> R after 60000 -> exit({timeout, Q}) end.

%% --- logger handler: give-ups ------------------------------------------------

adding_handler(Config) -> {ok, Config}.
removing_handler(_) -> ok.

log(#{msg := {report, #{label := {supervisor, shutdown}, report := Report}}}, _) ->
    case proplists:get_value(reason, Report) of
        reached_max_restart_intensity ->
            giveup(proplists:get_value(supervisor, Report));
        _ -> ok
    end;
log(_, _) ->
    ok.

giveup({local, Reg}) ->
    [C | Rest] = atom_to_list(Reg),
    $c = C,
    {IdxS, [$_ | Name]} = lists:splitwith(fun(X) -> X =/= $_ end, Rest),
    case ets:lookup(otpdiff_recs, list_to_integer(IdxS)) of
        [{_, Rec}] -> Rec ! {giveup, Name};
        [] -> ok
    end;
giveup(_) ->
    ok.

%% --- steps --------------------------------------------------------------------

run_steps([], Ctx, Async) ->
    join(Async, Ctx);
run_steps([Step | Rest], Ctx, Async) ->
    case call(Ctx#ctx.rec, ended) of
        none ->
            Async2 = step(Step, Ctx, Async),
            run_steps(Rest, Ctx, Async2);
        _ ->
            join(Async, Ctx)
    end.

mark(Ctx, Fmt, Args) ->
    Ctx#ctx.rec ! {mark, io_lib:format(Fmt, Args)}.

step({crash, Name, Way, After}, Ctx, Async) ->
    case call(Ctx#ctx.rec, {pid_of, Name}) of
        none ->
            mark(Ctx, "crash ~s ~s = not_running", [Name, Way]);
        Pid ->
            Ref = erlang:monitor(process, Pid),
            mark(Ctx, "crash ~s ~s", [Name, Way]),
            case Way of
                killed -> exit(Pid, kill);
                normal -> Pid ! {die, normal};
                abnormal -> Pid ! {die, crash};
                shutdown -> Pid ! {die, shutdown}
            end,
            receive {'DOWN', Ref, _, _, _} -> ok end
    end,
    after_step(After, Ctx),
    Async;
step({call, Verb, Target, Sup, false, After}, Ctx, Async) ->
    Ref = make_ref(),
    Ctx#ctx.rec ! {mark_call, Ref, io_lib:format("call ~s ~s", [Verb, tname(Target)])},
    Ctx#ctx.rec ! {call_result, Ref, do_call(Verb, Target, Sup, Ctx)},
    after_step(After, Ctx),
    Async;
step({call, Verb, Target, Sup, true, After}, Ctx, Async) ->
    Self = self(),
    Tag = make_ref(),
    mark(Ctx, "async ~s ~s", [Verb, tname(Target)]),
    spawn(fun() -> Self ! {Tag, do_call(Verb, Target, Sup, Ctx)} end),
    after_step(After, Ctx),
    Async ++ [{Tag, Verb, Target}];
step({join, After}, Ctx, Async) ->
    join(Async, Ctx),
    after_step(After, Ctx),
    [];
step({release, Name, After}, Ctx, Async) ->
    Pid = wait_held(Ctx, Name, 400),
    mark(Ctx, "release ~s", [Name]),
    Ctx#ctx.rec ! {unheld, Name},
    Pid ! go,
    after_step(After, Ctx),
    Async;
step({which, Sup}, Ctx, Async) ->
    mark(Ctx, "which ~s = ~s", [Sup, which(Ctx, Sup)]),
    Async;
step({align_second}, _Ctx, Async) ->
    align_second(),
    Async;
step({wait, Ms}, Ctx, Async) ->
    timer:sleep(Ms),
    settle(Ctx),
    Async.

align_second() ->
    T = erlang:monotonic_time(millisecond),
    case T - erlang:convert_time_unit(erlang:convert_time_unit(T, millisecond, second),
                                      second, millisecond) of
        Ms when Ms >= 50, Ms =< 150 -> ok;
        Ms -> timer:sleep((1100 - Ms) rem 1000), align_second()
    end.

join(Async, Ctx) ->
    lists:foreach(fun({Tag, Verb, Target}) ->
                          receive {Tag, R} -> mark(Ctx, "joined ~s ~s = ~s", [Verb, tname(Target), R]) end
                  end, Async).

wait_held(_Ctx, Name, 0) ->
    exit({never_held, Name});
wait_held(Ctx, Name, N) ->
    case call(Ctx#ctx.rec, {held, Name}) of
        none -> timer:sleep(25), wait_held(Ctx, Name, N - 1);
        Pid -> Pid
    end.

after_step(settle, Ctx) -> settle(Ctx);
after_step({held, Name}, Ctx) -> wait_held(Ctx, Name, 400);
after_step(Ms, _Ctx) when is_integer(Ms) -> timer:sleep(Ms).

do_call(Verb, Target, Sup, Ctx) ->
    try call_result(do_call2(Verb, Target, reg(Ctx, Sup), Ctx))
    catch exit:{noproc, _} -> "noproc";
          exit:{{shutdown, _}, _} -> "noproc";
          exit:{shutdown, _} -> "noproc";
          exit:{killed, _} -> "noproc";
          exit:{normal, _} -> "noproc"
    end.

do_call2(stop, Target, S, Ctx) ->
    supervisor:terminate_child(S, child_ref(Target, Ctx));
do_call2(start, Target, S, Ctx) ->
    supervisor:restart_child(S, child_ref(Target, Ctx));
do_call2(delete, Target, S, Ctx) ->
    supervisor:delete_child(S, child_ref(Target, Ctx));
do_call2(start_child, Target, S, _Ctx) ->
    supervisor:start_child(S, [Target]).

%% A dynamic child is known to OTP by its pid only.
child_ref({dyn, Name}, Ctx) ->
    case call(Ctx#ctx.rec, {pid_of, Name}) of
        none -> dead_pid();
        Pid -> Pid
    end;
child_ref(Name, _Ctx) ->
    Name.

dead_pid() ->
    {Pid, Ref} = spawn_monitor(fun() -> ok end),
    receive {'DOWN', Ref, _, _, _} -> Pid end.

tname({dyn, Name}) -> Name;
tname(Name) -> Name.

call_result(ok) -> "ok";
call_result({ok, _}) -> "ok";
call_result({ok, _, _}) -> "ok";
call_result({error, {already_started, _}}) -> "already_started";
call_result({error, failed}) -> "start_failed";
call_result({error, E}) when is_atom(E) -> atom_to_list(E);
call_result({error, _}) -> "start_failed";
call_result(Other) -> io_lib:format("~p", [Other]).

%% which_children, as "NAME:STATE ..." sorted by name, or noproc.
which(Ctx, Sup) ->
    case which_list(Ctx, Sup) of
        noproc -> "noproc";
        L -> string:join([io_lib:format("~s:~s", [N, St]) || {N, St, _} <- L], " ")
    end.

which_list(Ctx, Sup) ->
    try supervisor:which_children(reg(Ctx, Sup)) of
        Children -> lists:sort([child_state(Ctx, C) || C <- Children])
    catch exit:_ -> noproc
    end.

child_state(Ctx, {undefined, Pid, _, _}) when is_pid(Pid) ->
    {atom_to_list(call(Ctx#ctx.rec, {name_of, Pid})), "running", worker};
child_state(_Ctx, {undefined, St, _, _}) ->
    {"?", atom_to_list(St), worker};
child_state(_Ctx, {Id, Pid, Type, _}) when is_pid(Pid) ->
    {atom_to_list(Id), "running", Type};
child_state(_Ctx, {Id, St, Type, _}) ->
    {atom_to_list(Id), atom_to_list(St), Type}.

%% --- the end ----------------------------------------------------------------

final(Ctx) ->
    case call(Ctx#ctx.rec, ended) of
        none ->
            tree(Ctx, root),
            Ctx#ctx.rec ! {mark, "shutdown"},
            Ctx#ctx.owner ! {stop, self()},
            Owner = Ctx#ctx.owner,
            receive {stopped, Owner} -> ok end,
            settle(Ctx);
        _ ->
            ok
    end.

tree(Ctx, Sup) ->
    case which_list(Ctx, Sup) of
        noproc -> ok;
        L ->
            Ctx#ctx.rec ! {line, io_lib:format("tree ~s = ~s", [Sup,
                string:join([io_lib:format("~s:~s", [N, St]) || {N, St, _} <- L], " ")])},
            [tree(Ctx, list_to_atom(N)) || {N, "running", supervisor} <- L]
    end.

%% --- settle: every supervisor of the case idle, twice, nothing recorded ------

settle(Ctx) ->
    settle(Ctx, undefined, erlang:monotonic_time(millisecond) + ?SETTLE_TIMEOUT).

settle(Ctx, Last, Deadline) ->
    {_, Ended} = Count = call(Ctx#ctx.rec, count),
    RootOk = whereis(reg(Ctx, root)) =/= undefined orelse Ended =/= none,
    Now = {RootOk andalso all_idle(Ctx), Count},
    case Now of
        {true, _} when Now =:= Last -> ok;
        _ ->
            case erlang:monotonic_time(millisecond) > Deadline of
                true -> exit(settle_timeout);
                false -> timer:sleep(10), settle(Ctx, Now, Deadline)
            end
    end.

all_idle(#ctx{idx = Idx}) ->
    Prefix = "c" ++ integer_to_list(Idx) ++ "_",
    lists:all(fun(R) ->
                      case lists:prefix(Prefix, atom_to_list(R)) of
                          false -> true;
                          true -> idle(whereis(R))
                      end
              end, registered()).

idle(undefined) -> true;
idle(Pid) ->
    case process_info(Pid, [message_queue_len, current_function]) of
        undefined -> true;
        [{message_queue_len, 0}, {current_function, {gen_server, loop, _}}] -> true;
        [{message_queue_len, 0}, {current_function, {erlang, hibernate, _}}] -> true;
        _ -> false
    end.
