"""One module per command of the CLI (`<project> <stage>`), found by cli.py; nothing else lives here.

A stage module's docstring starts with `<stage>: what it does` (the `--help` line); it may define
add_arguments(parser) for its options, and run(paths, **options) does the work. A CI stage also says
which earlier CI stages it reads from (READS) and what it hands on (outputs(paths)); its place in
CI's order is one line in pipeline.ORDER.
"""
