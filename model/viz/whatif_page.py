"""The visualiser's what-if page (``/whatif``): a policy analyst's ``spread compare`` in the browser.

Pick a trust (the five at real size, their teaching versions, or a scenario
file on this machine), tick shipped what-ifs and/or set levers (as one more
what-if), and run.  The run is ``spread compare`` itself, in the background
(model/viz/whatif_jobs.py): the page stays responsive, shows its progress,
can cancel it, and then shows the report's own findings (report.html, the
same numbers as the terminal with the same seed) and offers report.html
with the CSV tables as one zip.  Each browser tab sees only its own jobs.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import solara

from model.params import ParameterError, load_scenario
from model.viz import views
from model.viz.levers import LEVERS
from model.viz.whatif_jobs import QueueFull, server_queue
from model.whatif.files import RECOMMENDED, bundled_whatifs, load_whatif

TRUSTS = ("sash", "leeds", "uhcw", "bhr", "sath")
SCENARIOS = (*TRUSTS, *(f"{t}-teaching" for t in TRUSTS))
#: Levers offered as a what-if of their own (numbers only; the teaching page's labels).
LEVER_KEYS = ("leadership.commitment", "leadership.integration", "managers.alignment", "managers.base_support",
              "managers.involvement", "network.cross_unit_ties", "network.reciprocity",
              "forums.ties_per_person_annual")


def parse_count(text: str, name: str, lo: int, hi: int | None = None, blank_ok: bool = False) -> int | None:
    """A whole number typed in a box, or a ValueError naming the box and what it allows."""
    t = (text or "").strip()
    if not t and blank_ok:
        return None
    try:
        n = int(t)
    except ValueError:
        n = None
    if n is None or n < lo or (hi is not None and n > hi):
        allowed = f"a whole number from {lo}" + (f" to {hi}" if hi is not None else " up")
        raise ValueError(f"{name}: {t!r} is not allowed; {allowed}" + (" (or blank)" if blank_ok else ""))
    return n


def findings_rows(job) -> str:
    """The comparison table's rows as HTML (each number as the report prints it, and raw in data-*)."""
    td, num = "style='padding:1px 10px 1px 0'", "style='padding:1px 10px 1px 0;text-align:right'"
    out = []
    frame = job.findings()
    frame["unit"] = frame["unit"].fillna("")  # sustainment is a ratio: no unit (an empty CSV cell)
    for r in frame.itertuples(index=False):
        ci = f"{r.ci_low:+.1f} to {r.ci_high:+.1f}"
        out.append(f"<tr data-what-if='{views.escape(r.what_if)}' data-outcome='{r.outcome}' "
                   f"data-difference='{r.difference!r}' data-ci-low='{r.ci_low!r}' data-ci-high='{r.ci_high!r}'>"
                   f"<td {td}>{views.escape(r.title)}</td><td {td}>{views.escape(r.label)}</td>"
                   f"<td {num}>{r.baseline_mean:.1f}{r.unit}</td><td {num}>{r.what_if_mean:.1f}{r.unit}</td>"
                   f"<td {num}><b>{r.difference:+.1f}</b> ({ci})</td></tr>")
    head = "".join(f"<th {td if i < 2 else num}>{h}</th>" for i, h in enumerate(
        ("what-if", "outcome", "baseline", "what-if", "difference (95% interval)")))
    return f"<tr>{head}</tr>" + "".join(out)


@solara.component
def JobCard(job_id: int, tick: int) -> None:
    """One of this tab's jobs: progress and Cancel while it runs; findings and the zip once done."""
    q = server_queue()
    job = q.get(job_id)
    what = ", ".join(job.whatifs + (("levers set on the page",) if job.levers else ()))
    with solara.Card(f"{job.scenario}: {what}", margin=0,
                     style="margin-bottom: 8px;"):
        pct = 100 * job.done / job.total if job.total else 0
        solara.HTML(tag="div", attributes={"data-testid": "job-status", "data-status": job.status,
                                           "data-job": str(job.id)},
                    unsafe_innerHTML=views.escape(
                        f"{job.status}: {job.reps} replicates, seed {job.seed}"
                        + (f", {job.weeks} weeks" if job.weeks else "")
                        + (f"; runs {job.done}/{job.total}" if job.status == "running" and job.total else "")
                        + (f"; {job.finished - job.started:.0f} s" if job.status == "done" else "")),
                    style="font-size: 14px;")
        if job.status == "running":
            solara.ProgressLinear(value=pct if job.total else True)
        if job.active:
            solara.Button("Cancel", on_click=lambda: q.cancel(job_id), color="error", outlined=True)
        if job.status == "failed":
            solara.Error(job.error, dense=True)
        if job.status == "done":
            solara.FileDownload(data=job.zip_bytes, filename=f"compare-{Path(job.scenario).stem}.zip",
                                label="Download report.html and the CSV tables (.zip)")
            solara.HTML(tag="table", unsafe_innerHTML=findings_rows(job), attributes={"data-testid": "findings"},
                        style="font-size: 13px; border-collapse: collapse; margin: 6px 0;")
            # The report itself, as spread compare wrote it: the same findings, sentences and figures.
            solara.HTML(tag="iframe", attributes={"srcdoc": job.report_html(), "title": "report.html",
                                                  "data-testid": "report"},
                        style="width: 100%; height: 520px; border: 1px solid #dee2e6;")


@solara.component
def Page() -> None:
    """The what-if page: settings in the sidebar, this tab's jobs in the main pane."""
    scenario = solara.use_reactive("bhr-teaching")
    scenario_file = solara.use_reactive("")
    chosen = solara.use_reactive(("aligned-priorities",))
    levers = solara.use_reactive({})
    reps_text = solara.use_reactive("20")
    seed_text = solara.use_reactive("0")
    weeks_text = solara.use_reactive("")
    message = solara.use_reactive(None)
    jobs = solara.use_reactive(())  # this tab's job ids, newest first
    tick = solara.use_reactive(0)

    q = server_queue()
    active = any(q.get(j).active for j in jobs.value)

    def poll(cancel: threading.Event):
        while active and not cancel.is_set():  # redraw this tab's jobs twice a second while any runs
            time.sleep(0.5)
            tick.value += 1

    solara.use_thread(poll, dependencies=[active, jobs.value])

    target = scenario_file.value.strip() or scenario.value
    try:
        base = load_scenario(target)
        base_error = None
    except ParameterError as exc:
        base, base_error = None, str(exc)

    def run():
        try:
            reps = parse_count(reps_text.value, "Replicates", 2, 10_000)
            seed = parse_count(seed_text.value, "Seed", 0)
            weeks = parse_count(weeks_text.value, "Weeks", 1, 2_000, blank_ok=True)
            if base_error:
                raise ValueError(base_error)
            if not chosen.value and not levers.value:
                raise ValueError("Tick at least one what-if, or move a lever.")
            job = q.submit(target, tuple(chosen.value), reps, seed, weeks, levers.value)
        except (ValueError, QueueFull) as exc:
            message.value = str(exc)
            return
        message.value = None
        jobs.value = (job.id, *jobs.value)

    def toggle(name: str, on: bool):
        rest = tuple(n for n in chosen.value if n != name)
        chosen.value = (*rest, name) if on else rest

    solara.Title("Improvement spread: what-if comparisons")
    with solara.AppBar():
        solara.AppBarTitle("What-if: compare a trust's programme with changes to it")
        with solara.Link("/"):
            solara.Button("Teaching page", text=True, style="color: white;")

    with solara.Sidebar():
        with solara.Card("Trust", margin=0):
            solara.Select("Scenario", values=list(SCENARIOS), value=scenario)
            solara.InputText("or a scenario file (.toml path on this machine)", value=scenario_file)
            if base is not None:
                solara.Text(base.trust.label, style="font-size: 12px; color: #555;")
            else:
                solara.Error(base_error, dense=True)
        with solara.Card("What-ifs", margin=0):
            for name in bundled_whatifs():
                wi = load_whatif(name)
                solara.Checkbox(label=wi.title + (" (recommended)" if name in RECOMMENDED else ""),
                                value=name in chosen.value, on_value=lambda on, n=name: toggle(n, on))
        with solara.Card("Or set levers (one more what-if)", margin=0):
            for lever in (lv for lv in LEVERS if lv.key in LEVER_KEYS):
                own = float(base.get(lever.key)) if base is not None else lever.lo
                val = float(levers.value.get(lever.key, own))
                solara.Text(f"{lever.label}: {val:g}" + ("" if lever.key in levers.value else " (scenario)"),
                            style="font-size: 13px; margin-bottom: -14px;")
                solara.SliderFloat("", value=val, min=lever.lo, max=lever.hi, step=lever.step,
                                   on_value=lambda v, k=lever.key: levers.set({**levers.value, k: round(v, 4)}))
            if levers.value:
                solara.Button("Clear levers", text=True, on_click=lambda: levers.set({}))
        with solara.Card("Run", margin=0):
            solara.InputText("Replicates", value=reps_text)
            solara.InputText("Seed", value=seed_text)
            solara.InputText("Weeks (blank: the scenario's)", value=weeks_text)
            solara.Button("Run comparison", color="primary", on_click=run)
            if message.value:
                solara.Error(message.value, dense=True, attributes={"data-testid": "whatif-message"})

    with solara.Column(style="padding: 0;"):
        solara.HTML(tag="p", style="font-size: 14px; margin: 0;", unsafe_innerHTML=(
            "Each comparison is <code>spread compare</code> with common random numbers: replicate i of every arm "
            "uses the same seed, so a difference is due to the change, not to chance. It runs in the background "
            "on this machine, one at a time; this tab sees only its own."))
        if not jobs.value:
            solara.Text("No comparisons yet: choose a trust and what-ifs, then Run comparison.")
        for j in jobs.value:
            JobCard(j, tick.value).key(f"job-{j}")
