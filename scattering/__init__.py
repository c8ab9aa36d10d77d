"""2-D electromagnetic inverse scattering: a product of its own beside the filter flow.

Forward solvers (:mod:`~rfdesign.scattering.mom2d`, the FFT-accelerated Richmond MoM;
:mod:`~rfdesign.scattering.mie2d`, the analytic series solution; :mod:`~rfdesign.scattering.meep2d`,
Meep in 2-D as the independent engine), objects (:mod:`~rfdesign.scattering.profiles`) and
datasets (:mod:`~rfdesign.scattering.data`), inversion methods (:mod:`~rfdesign.scattering.inversion`:
set-up, back-propagation, metrics and the method registry; :mod:`~rfdesign.scattering.csi`;
:mod:`~rfdesign.scattering.learned`), networks (:mod:`~rfdesign.scattering.nets`,
:mod:`~rfdesign.scattering.ficlm`), the benchmark (:mod:`~rfdesign.scattering.bench`) and
plots. It implements none of the filter contracts and imports no other engine except the
shared checkpoint format of :mod:`rfdesign.surrogates.checkpoint`.
"""
