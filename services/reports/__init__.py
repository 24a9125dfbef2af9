"""Reports: read models of offers, good examples, actors and notifications per district, ARL
region and the state, with their history for monthly trends; fed from every topic, rebuildable
with `npa-reports rebuild` (see README.md here)."""
