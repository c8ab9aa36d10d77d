"""What a spec's masks ask of a filter: its class, its low-pass prototype and its requirements.

From the pass and stop masks alone (no layout, no solver): the filter class (low-pass,
high-pass, band-pass, band-stop, multi-band), the frequency map to the prototype variable
``Omega`` (:mod:`~rfdesign.optimizers.synthesis.mapping`), the return loss the passband needs
(from the |S11| limit, and from the |S21| limit read as an equiripple ripple), the insertion
loss it allows, and for each stop band its rejection, its edges in ``Omega`` and its transition
width from the passband (Matthaei, Young and Jones 1964, sec. 4.03-4.05; Cameron, Kudsia and
Mansour 2007, sec. 3.9).

A high-pass spec constrains a finite range only; distributed filters realise it as a wide
band-pass, so its prototype is a band-pass whose upper edge lies half a transition width above
the highest frequency any mask constrains (stated in :attr:`SpecAnalysis.notes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from rfdesign.optimizers.masks import Mask
from rfdesign.optimizers.synthesis.mapping import FrequencyMap
from rfdesign.optimizers.synthesis.polynomials import return_loss_from_ripple

CLASSES = ("lowpass", "highpass", "bandpass", "bandstop", "multiband", "unknown")


@dataclass(frozen=True)
class StopRequirement:
    """One stop band as the prototype sees it.

    Attributes:
        band: The spec's band label.
        f_min_ghz: Lower edge, GHz.
        f_max_ghz: Upper edge, GHz.
        rejection_db: Required rejection (positive dB: ``-limit``).
        omega: Its edges in ``Omega`` (sorted; ``inf`` where it reaches the prototype's infinity).
        omega_inner: The edge nearest the passband, ``|Omega|`` smallest (the one that binds).
        transition_ghz: Distance from the nearest passband edge, GHz.
    """

    band: str
    f_min_ghz: float
    f_max_ghz: float
    rejection_db: float
    omega: tuple[float, float]
    omega_inner: float
    transition_ghz: float

    def to_dict(self) -> dict:
        """Plain-Python form (JSON-ready; infinities as strings)."""
        return {
            "band": self.band,
            "f_min_ghz": self.f_min_ghz,
            "f_max_ghz": self.f_max_ghz,
            "rejection_db": self.rejection_db,
            "omega": [json_float(x) for x in self.omega],
            "omega_inner": json_float(self.omega_inner),
            "transition_ghz": self.transition_ghz,
        }


def json_float(x: float) -> float | str:
    """``x`` for JSON: a float, or ``"inf"`` / ``"-inf"`` (JSON has no infinity)."""
    return float(x) if np.isfinite(x) else ("inf" if x > 0 else "-inf")


@dataclass(frozen=True)
class SpecAnalysis:
    """The filter a spec's masks describe.

    Attributes:
        filter_class: One of :data:`CLASSES`.
        passbands: Passband edges ``(f1, f2)`` in GHz, sorted.
        stops: Each stop band's requirement.
        return_loss_db: Passband return loss needed (dB, positive); the larger of the |S11|
            limit and the equiripple return loss that keeps the ripple inside the |S21| limit.
        insertion_loss_db: Largest passband insertion loss allowed (dB, positive), or None.
        fmap: Band -> prototype map (None for multi-band and unknown classes).
        f_range_ghz: Lowest and highest frequency any mask constrains, GHz.
        notes: Choices made and limits, one sentence each.
    """

    filter_class: str
    passbands: tuple[tuple[float, float], ...]
    stops: tuple[StopRequirement, ...]
    return_loss_db: float
    insertion_loss_db: float | None
    fmap: FrequencyMap | None
    f_range_ghz: tuple[float, float]
    notes: tuple[str, ...] = field(default=())

    @property
    def symmetric(self) -> bool:
        """True if the prototype must be symmetric in Omega (low-, high-pass, band-stop proper)."""
        return self.fmap is not None and self.fmap.kind != "bandpass"

    def to_dict(self) -> dict:
        """Plain-Python form (JSON-ready)."""
        return {
            "filter_class": self.filter_class,
            "passbands_ghz": [list(p) for p in self.passbands],
            "stops": [s.to_dict() for s in self.stops],
            "return_loss_db": self.return_loss_db,
            "insertion_loss_db": self.insertion_loss_db,
            "map": None if self.fmap is None else self.fmap.to_dict(),
            "f_range_ghz": list(self.f_range_ghz),
            "notes": list(self.notes),
        }

    def to_text(self) -> str:
        """A few readable lines."""
        lines = [f"class: {self.filter_class}"]
        if self.passbands:
            lines.append(
                "passband: "
                + ", ".join(f"{a:g}-{b:g} GHz" for a, b in self.passbands)
                + f"; return loss >= {self.return_loss_db:.2f} dB"
                + (
                    ""
                    if self.insertion_loss_db is None
                    else f", insertion loss <= {self.insertion_loss_db:.2f} dB"
                )
            )
        if self.fmap is not None:
            lines.append(
                f"prototype: {self.fmap.kind}, f0 = {self.fmap.f0_ghz:.4f} GHz"
                + (
                    f", FBW = {100 * self.fmap.fbw:.3f} %"
                    if self.fmap.kind in ("bandpass", "bandstop")
                    else ""
                )
            )
        for s in self.stops:
            lines.append(
                f"stop {s.band}: {s.f_min_ghz:g}-{s.f_max_ghz:g} GHz, rejection {s.rejection_db:g} dB,"
                f" transition {s.transition_ghz:g} GHz, |Omega| >= {abs(s.omega_inner):.4f}"
            )
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def _merge(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[list[float]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1] + 1e-12:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def analyse_masks(masks: Sequence[Mask]) -> SpecAnalysis:
    """Analyse a spec's masks (see the module docstring).

    Args:
        masks: The pass and stop masks (:class:`~rfdesign.optimizers.masks.Mask`), e.g. a
            ``MaskSet``'s ``masks`` or :func:`rfdesign.evaluation.spec_masks` of a spec.

    Returns:
        The analysis; a spec without a passband or with several is classified, not refused.
    """
    masks = list(masks)
    if not masks:
        raise ValueError("masks: empty; a filter spec needs at least one band")
    passbands = _merge([(m.f_min_ghz, m.f_max_ghz) for m in masks if m.kind == "pass"])
    stop_masks = [m for m in masks if m.kind == "stop" and m.quantity == "s21"]
    f_range = (min(m.f_min_ghz for m in masks), max(m.f_max_ghz for m in masks))
    rl_from_s11 = [-m.limit_db for m in masks if m.kind == "pass" and m.quantity == "s11"]
    il = [
        -m.limit_db for m in masks if m.kind == "pass" and m.quantity == "s21" and m.bound == "min"
    ]
    rl = max(rl_from_s11 + [return_loss_from_ripple(x) for x in il if x > 0] + [1e-3])
    il_allowed = min(il) if il else None
    notes: list[str] = []
    below = [m for m in stop_masks if passbands and m.f_max_ghz <= passbands[0][0]]
    above = [m for m in stop_masks if passbands and m.f_min_ghz >= passbands[-1][1]]
    between = [m for m in stop_masks if m not in below and m not in above]

    if not passbands:
        cls_, fmap = "unknown", None
        notes.append("no passband mask: nothing to synthesise")
    elif len(passbands) == 1:
        (p1, p2) = passbands[0]
        if below and above:
            cls_, fmap = "bandpass", FrequencyMap.from_edges("bandpass", p1, p2)
        elif below:
            cls_ = "highpass"
            trans = p1 - max(m.f_max_ghz for m in below)
            top = max(p2, f_range[1]) + 0.5 * trans
            fmap = FrequencyMap.from_edges("bandpass", p1, top)
            notes.append(
                f"high-pass realised as a band-pass {p1:g}-{top:g} GHz: upper edge half a "
                f"transition ({trans:g} GHz) above the highest constrained frequency"
            )
        elif above:
            cls_, fmap = "lowpass", FrequencyMap.from_edges("lowpass", p2)
        else:
            cls_, fmap = "unknown", None
            notes.append("no stop band: any through line meets the masks")
    elif len(passbands) == 2 and between and not below and not above:
        cls_ = "bandstop"
        fmap = FrequencyMap.from_edges("bandstop", passbands[0][1], passbands[1][0])
    else:
        cls_, fmap = "multiband", None
        notes.append(
            f"{len(passbands)} passbands with stop bands between and outside: multi-band "
            "synthesis (e.g. by frequency transformation of a single-band prototype) is not built"
        )

    stops = []
    for m in stop_masks:
        if passbands:
            gaps = [
                min(
                    abs(m.f_min_ghz - b),
                    abs(m.f_max_ghz - a),
                    abs(m.f_min_ghz - a),
                    abs(m.f_max_ghz - b),
                )
                for a, b in passbands
            ]
            trans = float(min(gaps))
        else:
            trans = float("nan")
        if fmap is not None:
            w = np.sort(fmap.omega(np.array([m.f_min_ghz, m.f_max_ghz], float)))
            if cls_ == "bandstop" and m.f_min_ghz < fmap.f0_ghz < m.f_max_ghz:
                inner = float(min(abs(w[0]), abs(w[1])))  # both edges; centre at infinity
                w = np.array([inner, np.inf])
            inner = float(w[np.argmin(np.abs(w))])
        else:
            w, inner = np.array([np.nan, np.nan]), float("nan")
        stops.append(
            StopRequirement(
                m.band,
                m.f_min_ghz,
                m.f_max_ghz,
                -m.limit_db,
                (float(w[0]), float(w[1])),
                inner,
                trans,
            )
        )
    return SpecAnalysis(
        cls_, tuple(passbands), tuple(stops), float(rl), il_allowed, fmap, f_range, tuple(notes)
    )
