"""The ``skhpa`` command line: ``demo``, ``make-data``, ``train`` and ``predict``.

``_parser`` builds the argument parser (argument types whose errors name the flag),
``_commands`` holds the commands; :func:`main` runs one and turns a user's mistake into a
one-line error and exit code 1, Ctrl-C into exit code 130.
"""

import sys
import warnings

from ._commands import Interrupted, UserError
from ._parser import build_parser, unrecognized

__all__ = ["UserError", "build_parser", "main"]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # the command's usage, not the top level's, and the flag meant
        command = parser.commands.get(getattr(args, "command", None), parser)
        command.error(unrecognized(command, extra))
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        print(
            f"\n{parser.prog}: error: a command is required (e.g. {parser.prog} demo --small)",
            file=sys.stderr,
        )
        return 2
    args.argv = argv
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:  # piped output: lines in the order they were said
        reconfigure(line_buffering=True)  # (stderr's warnings between stdout's lines)
    try:
        with warnings.catch_warnings():  # restores the default display afterwards
            warnings.showwarning = _show_warning
            return args.func(args)
    except (UserError, OSError, ValueError, ImportError) as exc:
        print(f"skhpa {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except Interrupted:
        return 130
    except KeyboardInterrupt:
        print(f"skhpa {args.command}: interrupted", file=sys.stderr)
        return 130


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """A warning as the command's other messages: one line, no source file and line."""
    print(f"warning: {message}", file=sys.stderr if file is None else file)
