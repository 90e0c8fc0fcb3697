"""``recgov audit-analytics``: what speech analytics really scored, judged against the purpose's declaration.

Reading (:mod:`.sources`) lists and fetches analysis files; parsing (:mod:`.parse`) turns one file
into the participants it scores; judging (:mod:`.judge`) compares those with the policy's
``analytics:`` declaration; :mod:`.run` puts the results into one report. Parsing and judging are
pure functions on data, so every verdict can be tested without a bucket.
"""
