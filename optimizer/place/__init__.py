"""Real places: the shipped data and the builders that turn it into scenarios.

geography.py   LSOAs, local authorities, ICBs and police force areas; ``build_scenario``
unit_costs.py  the GMCA / New Economy Unit Cost Database, uprated
calibration.py the Manchester early-help calibration against the policy paper
prevention.py  the default prevention template (interventions and outcomes)
data/          the shipped data files, their attribution and their rebuild step
"""
