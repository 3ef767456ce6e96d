"""The seven weekly processes, one module each, in the order the trust model runs them each week.

1. ``leadership``: the executive team's attention (commitment, competing
   pressure, chief-executive changes and their transitions);
2. ``support``: each unit's manager support moving towards its target
   (attention x alignment x (base + involvement + recognition));
3. ``rpiw``: rapid process improvement workshops in the pilot pathways;
4. ``exchange``: peer exchange of the practice on the live network;
5. ``sustain``: practitioners sustaining or abandoning the practice;
6. ``turnover``: leavers, their replacements, peer-learning forums;
7. ``performance``: lead times, measurement at a scope, detection.

The schedule itself is ``model.trust.TrustModel.step``; docs/ODD.md section 3
describes each process.
"""
