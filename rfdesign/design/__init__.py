"""The staged design flow: spec in, verified layout and report out.

Stages, each a module with a typed result: :mod:`~rfdesign.design.evaluator` (the search
model), :mod:`~rfdesign.design.search` (registered search methods),
:mod:`~rfdesign.design.verify` (full-wave verification of the candidates),
:mod:`~rfdesign.design.refine` (space mapping of the cell sizes) and
:mod:`~rfdesign.design.result` (the :class:`DesignResult` and its files);
:mod:`~rfdesign.design.flow` runs them (:func:`design_filter`). GAN inverse design, which can
seed the search, is :mod:`~rfdesign.design.inverse`.
"""

from rfdesign.design.flow import DesignOptions, design_filter
from rfdesign.design.result import DesignResult

__all__ = ["DesignOptions", "DesignResult", "design_filter"]
