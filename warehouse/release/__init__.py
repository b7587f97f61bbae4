"""Release: the files a night publishes, and how each is written."""
