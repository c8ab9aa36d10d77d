"""Filter synthesis: from a spec's masks to order, zeros and coupling matrix, and back.

The mathematical core an RF engineer would otherwise do on paper or in a commercial filter
designer, usable on its own (it needs only numpy, scipy, scikit-rf and the masks of
:mod:`rfdesign.optimizers.masks`):

* :mod:`.analysis` -- a spec's masks -> filter class, prototype map, return loss, rejection;
* :mod:`.polynomials` -- generalised Chebyshev filtering functions (Cameron's recursion), E, F, P;
* :mod:`.order` -- the smallest order and fewest zeros that meet the masks at a given Qu;
* :mod:`.transversal`, :mod:`.reduction` -- the N+2 transversal matrix and its similarity
  transforms to folded, inline, cascaded-triplet and -quadruplet forms;
* :mod:`.matrix` -- :class:`CouplingMatrix`, the common language of spec, layout and tuning;
* :mod:`.extraction` -- complex S-parameters of a built filter -> its matrix, detunings and Qu;
* :mod:`.feasibility` -- unloaded Q of resonator technologies and the verdict;
* :mod:`.bound` -- the best margin any N-resonator matrix reaches (a numerical upper bound);
* :mod:`.synthesize` -- all of it in one call, :func:`synthesize`, returning a report.

References: Cameron, Kudsia and Mansour, "Microwave Filters for Communication Systems", Wiley
2007 (ch. 6-10); Matthaei, Young and Jones, "Microwave Filters, Impedance-Matching Networks, and
Coupling Structures", McGraw-Hill 1964.
"""

from rfdesign.optimizers.synthesis.analysis import SpecAnalysis, analyse_masks
from rfdesign.optimizers.synthesis.extraction import ExtractionResult, extract
from rfdesign.optimizers.synthesis.feasibility import Technology, technologies
from rfdesign.optimizers.synthesis.mapping import FrequencyMap
from rfdesign.optimizers.synthesis.matrix import CouplingMatrix
from rfdesign.optimizers.synthesis.polynomials import FilteringFunction, chebyshev_g
from rfdesign.optimizers.synthesis.reduction import fold, to_topology
from rfdesign.optimizers.synthesis.synthesize import Synthesis, synthesize
from rfdesign.optimizers.synthesis.transversal import transversal_matrix

__all__ = [
    "CouplingMatrix",
    "ExtractionResult",
    "FilteringFunction",
    "FrequencyMap",
    "SpecAnalysis",
    "Synthesis",
    "Technology",
    "analyse_masks",
    "chebyshev_g",
    "extract",
    "fold",
    "synthesize",
    "technologies",
    "to_topology",
    "transversal_matrix",
]
