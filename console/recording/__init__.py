"""Launch day on disk: the recorder (one SQLite file per day), and the reader replay and the
post-mortem report use. See console/recording/schema.py for what the file holds."""
