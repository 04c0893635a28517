"""CLI command modules; each registers its commands on :data:`gigawatt.cli.app`.

Imported by :mod:`gigawatt.cli` (see the list at its end), one module per capability.
"""
