"""The core of each command: each module runs the stages below it for one command and
returns a result for the command line (``generator.cli``) to print."""
