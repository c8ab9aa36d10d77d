"""``design.method: auto``: the topology that realises the masks' filter class, or why none.

The masks are classified by the synthesis analysis
(:func:`rfdesign.optimizers.synthesis.analysis.analyse_masks`): a band-pass or a high-pass
(realised as a wide band-pass, as the paper's high-pass was) is built as a comb of half-wave
strips in a channel housing (:mod:`rfdesign.design.comb`), a low-pass as a stepped-impedance
line (:mod:`rfdesign.design.stepped`; Matthaei, Young and Jones, *Microwave Filters,
Impedance-Matching Networks, and Coupling Structures*, 1964, sec. 7.03). A band-stop or a
multi-band spec has no parametric topology in the tool yet: the design ends before any
full-wave run with a report that says so (:class:`DesignNotPossible`), never with a
traceback.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from rfdesign.evaluation import spec_masks
from rfdesign.spec import FilterSpec

log = logging.getLogger(__name__)

TOPOLOGY = {"bandpass": "comb", "highpass": "comb", "lowpass": "stepped"}
"""The parametric method the tool uses per filter class."""

NOT_BUILT = {
    "bandstop": (
        "a band-stop needs resonators hung off a through line (open stubs or coupled "
        "half-wave resonators, Matthaei et al. ch. 12); no such topology is built yet"
    ),
    "multiband": "several passbands: multi-band synthesis and topologies are not built",
    "unknown": "the masks define no filter class (no passband, or no stop band)",
}
"""Why a filter class has no topology."""


@dataclass(frozen=True)
class MethodChoice:
    """The method ``auto`` resolves to.

    Attributes:
        filter_class: The masks' class (``bandpass``, ``highpass``, ``lowpass``, ...).
        method: ``"comb"`` or ``"stepped"``; ``None`` where no topology serves the class.
        why: One sentence: the choice, or why there is none.
    """

    filter_class: str
    method: str | None
    why: str


class DesignNotPossible(ValueError):
    """The tool has no way to design this spec; raised before any full-wave run.

    Attributes:
        choice: The classification and the reason.
    """

    def __init__(self, choice: MethodChoice) -> None:
        super().__init__(f"design.method: {choice.why}")
        self.choice = choice


def choose_method(spec: FilterSpec) -> MethodChoice:
    """The topology for ``spec``'s masks (what ``design.method: auto`` runs)."""
    from rfdesign.optimizers.synthesis.analysis import analyse_masks

    analysis = analyse_masks(spec_masks(spec))
    cls_ = analysis.filter_class
    method = TOPOLOGY.get(cls_)
    if method is None:
        return MethodChoice(cls_, None, f"no topology for a {cls_} spec: {NOT_BUILT[cls_]}")
    where = {
        "comb": "a comb of half-wave strips in the channel housing",
        "stepped": "a stepped-impedance line",
    }[method]
    return MethodChoice(cls_, method, f"{cls_}: {where} (design.method {method})")


def resolved(spec: FilterSpec) -> FilterSpec:
    """``spec`` with ``design.method: auto`` replaced by the chosen method.

    Raises:
        DesignNotPossible: No topology serves the spec's class.
    """
    if spec.design.method != "auto":
        return spec
    choice = choose_method(spec)
    if choice.method is None:
        raise DesignNotPossible(choice)
    log.info("design.method auto: %s", choice.why)
    design = spec.design.model_copy(update={"method": choice.method})
    return FilterSpec.model_validate({**spec.model_dump(), "design": design.model_dump()})


class OutOfReach(Exception):
    """A parametric design's stage measured that its topology cannot realise the spec.

    Raised after the runs that showed it (the comb's design curves, say), so a report can
    say how many were made; :func:`rfdesign.design.flow.design_filter` turns it into a
    "not designed" report and :class:`DesignStopped`.

    Attributes:
        stage: The stage that found it ("curves").
        reason: Why, with the numbers, one line.
        fullwave_runs: Full-wave runs made before it (all in the result cache).
        solver_s: Their solver time (s), as each was first computed.
    """

    def __init__(self, stage: str, reason: str, fullwave_runs: int, solver_s: float = 0.0):
        super().__init__(f"{stage}: {reason}")
        self.stage, self.reason = stage, reason
        self.fullwave_runs, self.solver_s = fullwave_runs, solver_s


class DesignStopped(ValueError):
    """A parametric design stopped in a stage; the reason names it.

    Attributes:
        fullwave_runs: Full-wave runs made before it stopped (``None``: unknown).
        solver_s: Their solver time (s), where known.
    """

    def __init__(self, reason: str, fullwave_runs: int | None = None, solver_s: float = 0.0):
        super().__init__(reason)
        self.fullwave_runs, self.solver_s = fullwave_runs, solver_s


def write_not_possible(spec: FilterSpec, choice: MethodChoice, out: str | Path) -> Path:
    """``report.md`` and ``report.json`` for a spec the tool cannot design; returns the folder."""
    return write_not_designed(
        spec,
        f"The masks describe a {choice.filter_class} filter; {choice.why}.",
        choice.why,
        out,
        filter_class=choice.filter_class,
        fullwave_runs=0,
    )


def write_not_designed(
    spec: FilterSpec,
    headline: str,
    reason: str,
    out: str | Path,
    *,
    filter_class: str | None = None,
    fullwave_runs: int | None = None,
) -> Path:
    """``report.md`` and ``report.json`` of a design that ended without a layout.

    Args:
        spec: The spec.
        headline: The report's first sentence after "Not designed.".
        reason: Why, one line (also in ``report.json``).
        out: The output folder (created).
        filter_class: The masks' class, where known.
        fullwave_runs: Full-wave runs made before it ended (``None``: unknown; every
            completed run is in the result cache and a re-run resumes from it).

    Returns:
        The folder.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if fullwave_runs == 0:
        runs = "No full-wave run was made."
    elif fullwave_runs is None:
        runs = "Every full-wave run that completed is in the result cache: a re-run resumes there."
    else:
        runs = (
            f"{fullwave_runs} full-wave run{'s' * (fullwave_runs != 1)} showed it; each is in the "
            "result cache: a re-run resumes there."
        )
    md = [
        f"# Design report: {spec.name}",
        "",
        f"**Not designed.** {headline}",
        "",
        f"{runs} The synthesis of the masks (order, zeros, coupling matrix, the resonator Q "
        f"it needs) is available on its own: `rfdesign synthesize {spec.name}.yaml`.",
        "",
    ]
    (out / "report.md").write_text("\n".join(md))
    summary = {
        "spec": spec.name,
        "passed": False,
        "designed": False,
        "filter_class": filter_class,
        "reason": reason,
        "fullwave_runs": fullwave_runs,
    }
    (out / "report.json").write_text(json.dumps(summary, indent=1))
    return out
