"""The ``materialgen`` command that ``pip install`` puts on the PATH: ``materialgen serve``
starts the web app; anything else is generate.py's command line, where this is a checkout."""

from __future__ import annotations

import sys

from . import PROJECT_ROOT


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        from .web.server import main as serve

        return serve(argv[1:])
    if not (PROJECT_ROOT / "generate.py").is_file():
        message = "only 'materialgen serve' works from an installed package: the command line is"
        print(f"error: {message} generate.py, in the project's folder", file=sys.stderr)
        return 2
    sys.path.insert(0, str(PROJECT_ROOT))
    import generate

    return generate.main(argv)


if __name__ == "__main__":
    sys.exit(main())
