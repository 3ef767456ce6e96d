"""What-if comparisons for policy teams: ``spread compare`` (docs/policy.md).

A *what-if* is a named set of changes to any scenario, kept in a TOML file
in ``scenarios/what-if/`` (or anywhere, given by path)::

    title = "Integrated improvement strategy"
    description = "One sentence a policy reader understands."
    source = "Recommendation 1: ..."

    [leadership]
    integration = { at_least = 0.9 }   # why, in the source's words

A value is either set outright (``key = value``) or changed relative to the
scenario with a one-entry table: ``{ at_least = x }`` (raise to x, never
lower: a trust already there is left alone), ``{ at_most = x }``,
``{ add = x }`` (clipped to the key's allowed range) or ``{ scale = x }``.

``spread compare`` runs the scenario (the *baseline arm*) and each what-if
with common random numbers: replicate i of every arm uses the same seed, and
every mechanism draws from its own named stream a fixed number of numbers a
week (model/trust.py), so a what-if that changes nothing gives exactly zero
difference, and a small change gives a paired difference whose interval is
much narrower than comparing independent runs. Outcomes are compared
replicate by replicate (paired differences, 95% intervals).

Modules: ``files`` (what-if files and applying them), ``compare`` (arms with
common random numbers, paired differences), ``wording`` (plain-English
sentences), ``report`` (the self-contained HTML report and tables).
"""
