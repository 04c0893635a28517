"""CLI command modules; each registers its commands on :data:`gigawatt.commands.common.app`.

Imported by :mod:`gigawatt.cli` (see the import at its end), one module per capability; shared
options, consoles and error handling are in :mod:`gigawatt.commands.common`.
"""
