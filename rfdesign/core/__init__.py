"""What every folder of rfdesign shares: constants, dB, registries, cache paths, the version.

The one layer every engine (``layouts``, ``solvers``, ``surrogates``, ``optimizers``,
``scattering``) may import besides those the import table of ``DESIGN.md`` allows it. It
imports nothing else from rfdesign, and nothing heavier than numpy and scipy, so importing it
costs nothing.
"""
