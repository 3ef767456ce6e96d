"""``spread calibrate``: pattern-oriented calibration by ABC-SMC (pyabc).

``config`` reads and validates a calibration file, ``targets`` says what a
target measures in a run and how far a particle is from what is observed,
``fit`` wires pyabc (one seeded generation at a time, resumable),
``predictive`` runs the posterior predictive checks, ``posterior`` writes and
reads a calibration's folder (particles, generations, figures, report).
"""
