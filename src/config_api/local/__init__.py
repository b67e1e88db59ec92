"""Local-only: the bundled AWS emulator and the pieces `config-api local` runs. Never part of
the Lambda artifact."""
