"""`make run`: the whole platform on embedded defaults (broker, SMTP sink, four services, demo data)."""
