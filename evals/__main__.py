import sys

from evals.safety import main

if len(sys.argv) < 2 or sys.argv[1] != "safety":
    sys.exit("usage: python -m evals safety [--out FILE] [--xstest FILE]")
raise SystemExit(main(sys.argv[2:]))
