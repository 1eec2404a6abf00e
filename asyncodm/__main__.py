"""``python -m asyncodm``: the command line (``asyncodm.cli``)."""

from asyncodm.cli import main

if __name__ == "__main__":
    main()
