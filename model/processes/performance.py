"""Process 7, performance and measurement.

Lead time of unit u, relative to its baseline:

    removed_u  = gain_u + (1 - gain_u) x practice_effect x adoption_u
    true_u     = 1 - max_waste_share x removed_u          (the cap: never below 1 - max_waste_share)
    observed_u = true_u x (1 + unit_noise x z_u) + shock(t)

RPIW gains erode at ``gain_decay x (1 - adoption_u)`` a week: they are
sustained only where people keep practising. ``shock`` is a trust-wide AR(1)
common shock that no averaging removes.

Each pathway is measured at its scope (its first unit, the pathway, the
directorate of its first unit, or the whole trust): the measured value is
the mean of ``observed`` over the scope's units. Detection: after a
``baseline_weeks`` baseline ending at the pathway's first RPIW, improvement
is detected when ``run_length`` consecutive weeks fall below the baseline
mean minus ``sd_multiplier`` baseline sds. Detection feeds recognition:
a detected pathway's units are recognised (1) while the measure stays below
the limit; recognition fades at ``recognition_decay`` otherwise. Non-pilot
units are recognised only through leaders' attention to what was detected:
``spillover x attention x share of pathways detected``.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..organisation import Organisation
from ..schema import F, Field

if TYPE_CHECKING:
    from ..params import Params  # for annotations: model.params gathers PARAMS from here


#: Measurement scopes, narrowest first (``measurement.scope``, ``scope_matrix``).
SCOPES = ("unit", "pathway", "directorate", "trust")

#: This process's parameters: the "performance" and "measurement" sections of the
#: tree (``model.params`` gathers every process's ``PARAMS``); measuring is part of
#: this step.
PARAMS: dict[str, Field] = {
    "performance.max_waste_share": F(0.45, "float", "share", "share of baseline lead time that is removable waste (the cap)", 0, 0.95),
    "performance.practice_effect": F(0.5, "float", "share", "share of remaining waste removed when all unit staff practise", 0, 1),
    "performance.gain_decay": F(0.01, "float", "per week", "erosion of RPIW gains when nobody in the unit practises", 0, 1),
    "performance.unit_noise": F(0.08, "float", "share", "weekly noise of a unit's lead time (sd, relative)", 0, 1),
    "performance.shock_sd": F(0.04, "float", "share", "trust-wide common shock (sd, relative)", 0, 1),
    "performance.shock_persistence": F(0.8, "float", "0..1", "week-to-week persistence (AR1) of the common shock", 0, 0.999),
    "measurement.scope": F("pathway", "choice", "", "scope each pathway is measured at", choices=SCOPES),
    "measurement.pathway_scopes": F([], "str_list", "", "per-pathway scopes overriding 'scope' for the first pathways", choices=SCOPES),
    "measurement.baseline_weeks": F(12, "int", "weeks", "baseline period before a pathway's first RPIW", 2, 260),
    "measurement.run_length": F(8, "int", "weeks", "consecutive weeks below the control limit that count as detection", 1, 104),
    "measurement.sd_multiplier": F(1.0, "float", "sd", "control limit: baseline mean minus this many baseline sds", 0, 5),
    "measurement.recognition_decay": F(0.05, "float", "per week", "fading of recognition when improvement is not seen", 0, 1),
    "measurement.spillover": F(0.5, "float", "share", "recognition non-pilot units get from leaders' attention to detected gains", 0, 1),
}


def row_sum(a: np.ndarray) -> np.ndarray:
    """Sum along the last axis, each row as ``row.sum()`` of that row alone gives (numpy's pairwise sum needs
    the row contiguous: an index on the last axis of a 2-D array may give another layout)."""
    return np.ascontiguousarray(a).sum(axis=-1)


def scope_matrix(org: Organisation, scopes: list[str]) -> np.ndarray:
    """(P, U) weights: row p averages the units in pathway p's measurement scope."""
    P, U = len(org.pathway_units), org.n_units
    S = np.zeros((P, U))
    clinical = org.clinical_units
    for p, units in enumerate(org.pathway_units):
        scope = scopes[p]
        if scope == "unit":
            members = units[:1]
        elif scope == "pathway":
            members = units
        elif scope == "directorate":
            members = org.directorate_units[org.unit_directorate[units[0]]]
        else:
            members = clinical
        S[p, members] = 1.0 / members.size
    return S


class Performance:
    """Lead times from practice and sustained RPIW gains; measurement at a scope; detection and recognition."""

    outputs = ("lead_time_change_pilot", "lead_time_change_rest", "recognition_pilot", "detected_share")
    #: its state, changed each week (a batch's with a leading replicate axis: ``over``)
    state = ("measured", "limit", "run", "detected_week", "shock")

    def __init__(self, params: Params, org: Organisation, first_rpiw: np.ndarray, weeks: int):
        pf, ms = params.performance, params.measurement
        self.org = org
        self.max_waste = pf.max_waste_share
        self.practice_effect = pf.practice_effect
        self.gain_decay = pf.gain_decay
        self.unit_noise = pf.unit_noise
        self.shock_sd = pf.shock_sd
        self.phi = pf.shock_persistence
        P = len(org.pathway_units)
        scopes = list(ms.pathway_scopes) + [ms.scope] * (P - len(ms.pathway_scopes))
        self.scopes = scopes
        self.S = scope_matrix(org, scopes)
        self.first = np.asarray(first_rpiw, dtype=np.int64)
        self.baseline_weeks = ms.baseline_weeks
        self.run_length = ms.run_length
        self.k_sd = ms.sd_multiplier
        self.decay = ms.recognition_decay
        self.spillover = ms.spillover
        self.measured = np.full((weeks + 1, P), np.nan)
        self.limit = np.full(P, -np.inf)
        self.run = np.zeros(P, dtype=np.int64)
        self.detected_week = np.full(P, -1, dtype=np.int64)
        self.shock = 0.0
        self.inv_size = 1.0 / org.unit_size
        self.unit_start = org.unit_start
        self._first_weeks = set(self.first.tolist())
        # pathway -> its units, flattened, for the vectorised recognition update
        self._pw_units = np.concatenate([np.asarray(u, dtype=np.int64) for u in org.pathway_units]) if P else np.zeros(0, np.int64)
        self._pw_of = np.repeat(np.arange(P), [len(u) for u in org.pathway_units]) if P else np.zeros(0, np.int64)
        self.pilot_units = np.flatnonzero(org.unit_pilot)
        self.rest_units = np.setdiff1d(org.clinical_units, self.pilot_units)
        self.pilot_staff = int(org.unit_size[self.pilot_units].sum())
        self.rest_staff = int(org.unit_size[self.rest_units].sum())

    @classmethod
    def over(cls, parts: Sequence[Performance]) -> Performance:
        """The replicates' own performance as one over a leading replicate axis (model/batch.py): their state and
        their units' sizes stacked, so ``unit_counts``, ``apply`` and ``record`` give each replicate its own
        numbers (units' first people offset per replicate). The replicates share their pathways, pilot units,
        RPIW weeks and every setting (``batch_key``)."""
        joined = copy.copy(parts[0])
        for name in cls.state + ("inv_size", "pilot_staff", "rest_staff"):
            setattr(joined, name, np.stack([np.asarray(getattr(p, name)) for p in parts]))
        joined.unit_start = np.concatenate([p.unit_start + b * p.org.n_staff for b, p in enumerate(parts)])
        return joined

    def unit_counts(self, practising: np.ndarray) -> np.ndarray:
        """Practitioners per unit (units are contiguous blocks of staff ids), per replicate for a batch's."""
        counts = np.add.reduceat(practising.reshape(-1), self.unit_start, dtype=np.int64)
        return counts.reshape(practising.shape[:-1] + (-1,))

    def unit_adoption(self, practising: np.ndarray) -> np.ndarray:
        """Share practising in each unit."""
        return self.unit_counts(practising) * self.inv_size

    def true_lead_time(self, gain: np.ndarray, adoption: np.ndarray) -> np.ndarray:
        """Each unit's lead time against baseline (1 = baseline) from RPIW gains and practice."""
        removed = gain + (1.0 - gain) * self.practice_effect * adoption
        return 1.0 - self.max_waste * removed

    def step(self, model: Any, week: int) -> list:
        """The week's lead times, measurement and detection; detections and misses are events.

        Leaves ``model.unit_practising`` (practitioners per unit) and
        ``model.lead_time`` (true lead time per unit) for the weekly record.
        """
        counts = self.unit_counts(model.practising)
        adoption = counts * self.inv_size
        z = model.streams["noise"].standard_normal(self.org.n_units + 1)  # fixed count: common random numbers
        true, newly = self.apply(week, adoption, model.gain, model.recognition, model.attention, z)
        model.unit_practising, model.lead_time = counts, true
        return self.events(week, newly, self.detected_week)

    def events(self, week: int, newly: np.ndarray, detected_week: np.ndarray) -> list:
        """One trust's detections this week (``newly``) and its pathways still undetected 104 weeks after their
        first RPIW."""
        events = [(week, "detected", f"improvement detected in pathway {p + 1} ({self.scopes[p]} scope)")
                  for p in np.flatnonzero(newly)]
        for p in np.flatnonzero(self.first + 104 == week):
            if detected_week[p] < 0:
                events.append((week, "missed", f"pathway {p + 1}: no improvement detected 104 weeks after its first RPIW"))
        return events

    def record(self, model: Any, week: int, history: dict) -> None:
        """Lead-time change in pilots and the rest, pilot recognition, share of pathways detected.

        Over one trust or a batch (a leading replicate axis on the model's
        arrays and the history's): each mean sums a contiguous row, pairwise,
        as ``.sum()`` of one trust's array does, so a batch's numbers are each
        trust's alone.
        """
        true, rec, p_units, r_units = model.lead_time, model.recognition, self.pilot_units, self.rest_units
        n_p, n_r = p_units.size, r_units.size
        history["lead_time_change_pilot"][..., week] = row_sum(true[..., p_units]) / n_p - 1.0
        history["lead_time_change_rest"][..., week] = row_sum(true[..., r_units]) / n_r - 1.0 if n_r else 0.0
        history["recognition_pilot"][..., week] = row_sum(rec[..., p_units]) / n_p
        detected = self.detected_week
        history["detected_share"][..., week] = np.count_nonzero(detected >= 0, axis=-1) / detected.shape[-1]

    def update(self, week: int, adoption: np.ndarray, gain: np.ndarray, recognition: np.ndarray,
               attention: float, rng: np.random.Generator) -> np.ndarray:
        """Erode gains, measure, detect, and update recognition in place; return true lead times."""
        z = rng.standard_normal(self.org.n_units + 1)  # fixed count: common random numbers
        return self.apply(week, adoption, gain, recognition, attention, z)[0]

    def apply(self, week: int, adoption: np.ndarray, gain: np.ndarray, recognition: np.ndarray,
              attention: float | np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The week's update from its normal draws ``z`` (a unit's noise each, then the shock's); return true lead
        times and the pathways detected this week.

        Written once for one trust and for a batch: with a leading replicate
        axis on every argument (``attention``: one per replicate) each
        replicate gets the numbers it gets alone (a pathway's measure is the
        scope matrix times that replicate's own row, its limit the statistics
        of its own baseline).
        """
        gain *= 1.0 - self.gain_decay * (1.0 - adoption)
        true = self.true_lead_time(gain, adoption)
        self.shock = self.phi * self.shock + np.sqrt(1 - self.phi ** 2) * self.shock_sd * z[..., -1]
        shock = self.shock if np.ndim(self.shock) == 0 else self.shock[:, None]
        observed = true * (1.0 + self.unit_noise * z[..., :-1]) + shock
        if observed.ndim == 1:
            m = self.S @ observed
        else:  # S @ v per trust: a matrix product could sum in another order
            m = np.empty(observed.shape[:-1] + (self.S.shape[0],))
            for b in range(observed.shape[0]):
                m[b] = self.S @ observed[b]
        measured = self.measured
        measured[..., week, :] = m
        # fix each pathway's control limit when its first RPIW happens
        if week in self._first_weeks:
            lo = max(0, week - self.baseline_weeks)
            for p in np.flatnonzero(self.first == week):
                for b in np.ndindex(measured.shape[:-2]):
                    base = measured[b + (slice(lo, week), p)]
                    base = base[~np.isnan(base)]
                    if base.size >= 2:
                        self.limit[b + (p,)] = base.mean() - self.k_sd * base.std(ddof=1)
        live = week > self.first
        below = live & (m < self.limit)
        self.run = np.where(below, self.run + 1, 0)
        newly = (self.detected_week < 0) & (self.run >= self.run_length)
        self.detected_week[newly] = week
        detected = self.detected_week >= 0
        # recognition: pilot units of detected pathways while the gain shows
        recognition *= 1.0 - self.decay
        showing = detected & below
        if showing.any():
            units = self._pw_units
            recognition[..., units] = np.where(showing[..., self._pw_of], 1.0, recognition[..., units])
        P = detected.shape[-1]
        share = np.count_nonzero(detected, axis=-1) / P if P else np.zeros(detected.shape[:-1])
        spill = self.spillover * attention * share
        recognition[..., self.rest_units] = spill if np.ndim(spill) == 0 else spill[:, None]
        return true, newly
