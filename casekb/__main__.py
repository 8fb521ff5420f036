"""`python -m casekb …`: the casekb command line (how tests and benchmarks start `casekb serve`)."""
from .cli import main

main()
