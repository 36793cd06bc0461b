/*
 * otpctl_complete_scripts.c: `otpctl completion bash|zsh|fish`, the shell
 * scripts `make install` puts where each shell looks (otpctl(1),
 * COMPLETION).
 *
 * Each script only hands the command line to `otpctl __complete` and
 * gives what it prints to the shell (otpctl_complete.c): the verbs, their
 * options and the names of the tree are never copied into a script, so a
 * script never goes stale as otpctl changes.  The program run is the one
 * typed (words[0]), so ./build/otpctl completes with itself.
 *
 * Candidates are "WORD" or "WORD<TAB>DESCRIPTION" (bash shows the words
 * only; zsh and fish the descriptions too); ":file" hands over to the
 * shell's own file name completion (with bash-completion's _filedir when
 * it is loaded).
 */
#include <stdio.h>
#include <string.h>

#include "ipc.h"
#include "otpctl.h"

static const char ctl_bash[] =
	"# bash completion for otpctl, printed by `otpctl completion bash` (otpctl(1), COMPLETION).\n"
	"# otpctl itself says what may come next: `otpctl __complete WORD...`.\n"
	"_otpctl()\n"
	"{\n"
	"\tlocal cur words cword ctl line\n"
	"\tlocal -a out\n"
	"\tif declare -F _init_completion >/dev/null; then\n"
	"\t\t_init_completion -n =: || return\n"
	"\telse\n"
	"\t\tcur=${COMP_WORDS[COMP_CWORD]}\n"
	"\t\twords=(\"${COMP_WORDS[@]}\")\n"
	"\t\tcword=$COMP_CWORD\n"
	"\tfi\n"
	"\tctl=${words[0]}\n"
	"\t[[ $ctl == \"~/\"* ]] && ctl=$HOME/${ctl#\"~/\"}\n"
	"\tmapfile -t out < <(\"$ctl\" __complete \"${words[@]:1:cword-1}\" \"$cur\" 2>/dev/null)\n"
	"\tCOMPREPLY=()\n"
	"\tif [[ ${out[0]-} == :file ]]; then\n"
	"\t\tif declare -F _filedir >/dev/null; then\n"
	"\t\t\t_filedir\n"
	"\t\telse\n"
	"\t\t\tcompopt -o filenames 2>/dev/null\n"
	"\t\t\tmapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n"
	"\t\tfi\n"
	"\t\treturn 0\n"
	"\tfi\n"
	"\tfor line in \"${out[@]}\"; do\n"
	"\t\tCOMPREPLY+=(\"${line%%$'\\t'*}\")\n"
	"\tdone\n"
	"}\n"
	"complete -F _otpctl otpctl\n";

static const char ctl_zsh[] =
	"#compdef otpctl\n"
	"# zsh completion for otpctl, printed by `otpctl completion zsh` (otpctl(1), COMPLETION).\n"
	"# otpctl itself says what may come next: `otpctl __complete WORD...`.\n"
	"_otpctl()\n"
	"{\n"
	"\tlocal ctl=${(Q)words[1]} line\n"
	"\tlocal -a out cands\n"
	"\t[[ $ctl == '~/'* ]] && ctl=$HOME/${ctl#'~/'}\n"
	"\tout=(\"${(@f)$(\"$ctl\" __complete \"${(@Q)words[2,CURRENT-1]}\" "
	"\"${(Q)PREFIX}\" 2>/dev/null)}\")\n"
	"\tif [[ $out[1] == :file ]]; then\n"
	"\t\t_files\n"
	"\t\treturn\n"
	"\tfi\n"
	"\tfor line in \"${out[@]}\"; do\n"
	"\t\t[[ -n $line ]] || continue\n"
	"\t\tif [[ $line == *$'\\t'* ]]; then\n"
	"\t\t\tcands+=(\"${${line%%$'\\t'*}//:/\\\\:}:${line#*$'\\t'}\")\n"
	"\t\telse\n"
	"\t\t\tcands+=(\"${line//:/\\\\:}\")\n"
	"\t\tfi\n"
	"\tdone\n"
	"\t(( ${#cands} )) && _describe -t otpctl otpctl cands\n"
	"}\n"
	"if [[ $funcstack[1] == _otpctl ]]; then\n"
	"\t_otpctl \"$@\"\n"
	"else\n"
	"\tcompdef _otpctl otpctl\n"
	"fi\n";

static const char ctl_fish[] =
	"# fish completion for otpctl, printed by `otpctl completion fish` (otpctl(1), COMPLETION).\n"
	"# otpctl itself says what may come next: `otpctl __complete WORD...`.\n"
	"function __otpctl_complete\n"
	"\tset -l words (commandline -opc)\n"
	"\tset -l cur (commandline -ct)\n"
	"\tset -l ctl (string replace -r '^~/' \"$HOME/\" -- $words[1])\n"
	"\tset -l out ($ctl __complete $words[2..-1] \"$cur\" 2>/dev/null)\n"
	"\tif test \"$out[1]\" = :file\n"
	"\t\t__fish_complete_path \"$cur\"\n"
	"\telse if set -q out[1]\n"
	"\t\tprintf '%s\\n' $out\n"
	"\tend\n"
	"end\n"
	"complete -c otpctl -f -a '(__otpctl_complete)'\n";

static const struct {
	const char *name;
	const char *script;
} ctl_shells[] = {
	{ "bash", ctl_bash },
	{ "zsh", ctl_zsh },
	{ "fish", ctl_fish },
};

#define CTL_NSHELLS (sizeof(ctl_shells) / sizeof(ctl_shells[0]))

const char *ctl_completion_shell(size_t i)
{
	return i < CTL_NSHELLS ? ctl_shells[i].name : NULL;
}

int ctl_completion(const char *shell)
{
	size_t i;

	for (i = 0; i < CTL_NSHELLS && strcmp(shell, ctl_shells[i].name) != 0; i++)
		;
	if (i == CTL_NSHELLS) {
		ipc_say("usage", "completion: unknown shell \"%s\" (bash, zsh or fish)\n"
			"usage: otpctl completion bash|zsh|fish", shell);
		return IPC_EXIT_USAGE;
	}
	if (ipc_json()) {
		fputs("{\"ok\":true,\"script\":", stdout);
		ipc_json_string(stdout, ctl_shells[i].script, strlen(ctl_shells[i].script));
		fputs("}\n", stdout);
	} else {
		fputs(ctl_shells[i].script, stdout);
	}
	return fflush(stdout) == 0 ? IPC_EXIT_OK : IPC_EXIT_REFUSED;
}
