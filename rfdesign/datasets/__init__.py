"""Datasets: the crash-safe store, its generation on an executor, and the data makers.

:mod:`~rfdesign.datasets.store` (the :class:`~rfdesign.datasets.store.Dataset` folder: zarr
arrays, journal, provenance), :mod:`~rfdesign.datasets.manifest` (size and sha256 of every
stored file, checked on open), :mod:`~rfdesign.datasets.repair` (a damaged store rewritten
without its lost samples, which the next generate recomputes), :mod:`~rfdesign.datasets.errors`
(:class:`~rfdesign.datasets.errors.DatasetDamaged`, one line naming the file),
:mod:`~rfdesign.datasets.generate` (sample layouts, simulate the
missing ones, journal each chunk), :mod:`~rfdesign.datasets.sizes` (continuous cell-size data
for size surrogates) and :mod:`~rfdesign.datasets.inverse` (circuit-model data for the layout
GAN).
"""
