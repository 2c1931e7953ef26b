// tsafs completion bash|zsh: a completion script generated from the command registry and the
// option tables (the same source as --help), so it completes exactly what the parser accepts.
// zsh uses the bash function through bashcompinit.

import type { Command } from './command.js';
import { allCommands } from './commands.js';
import { GLOBAL_OPTIONS } from './help.js';
import { UsageError } from './output.js';

const USAGE = 'usage: tsafs completion bash|zsh';

function flags(c: Command): string[] {
  return Object.entries(c.options ?? {}).flatMap(([n, o]) => [`--${n}`, ...(o.short ? [`-${o.short}`] : [])]);
}

/** The bash completion function; every word list is generated from the tables. */
export function bashScript(cmds: readonly Command[]): string {
  const globals = GLOBAL_OPTIONS.flatMap((g) => g.flag.split(/,\s*/).map((f) => f.split(' ')[0]!));
  const valued = GLOBAL_OPTIONS.filter((g) => / [<a-z]/.test(g.flag)).map((g) => g.flag.split(' ')[0]!);
  const names = [...cmds.map((c) => c.name), 'help'];
  const cases = cmds.map((c) => `    ${c.name}) opts="${flags(c).join(' ')}" ;;`).join('\n');
  return `# tsafs completion for bash (tsafs completion bash > /etc/bash_completion.d/tsafs)
_tsafs() {
  local cur=\${COMP_WORDS[COMP_CWORD]} cmd="" opts="" i w skip=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    if [ -n "$skip" ]; then skip=""; continue; fi
    case "$w" in
      ${valued.join('|')}) skip=1 ;;
      -*) ;;
      *) cmd=$w; break ;;
    esac
  done
  if [ -z "$cmd" ]; then
    COMPREPLY=($(compgen -W "${names.join(' ')} ${globals.join(' ')}" -- "$cur"))
    return
  fi
  case "$cmd" in
${cases}
    help) COMPREPLY=($(compgen -W "${names.join(' ')}" -- "$cur")); return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts ${globals.join(' ')}" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o default -F _tsafs tsafs
`;
}

export function zshScript(cmds: readonly Command[]): string {
  return `# tsafs completion for zsh (add to ~/.zshrc: source <(tsafs completion zsh))
autoload -U +X bashcompinit && bashcompinit
${bashScript(cmds)}`;
}

export const command: Command = {
  name: 'completion',
  summary: 'print a shell completion script (bash or zsh)',
  usage: USAGE,
  operands: ['bash|zsh   the shell to complete for'],
  examples: [
    'source <(tsafs completion bash)          # in ~/.bashrc',
    'source <(tsafs completion zsh)           # in ~/.zshrc',
  ],
  async run(ctx, args) {
    const shell = args[0];
    if (args.length !== 1 || (shell !== 'bash' && shell !== 'zsh')) throw new UsageError(USAGE);
    const cmds = await allCommands();
    ctx.stdout.write(shell === 'bash' ? bashScript(cmds) : zshScript(cmds));
    return undefined;
  },
};
