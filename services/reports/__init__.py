"""Reports: read models of coverage per district × field and ARL region, fed from every topic."""
